"""The API's pagination: page numbers as the schema documents them."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`?page=1`, `2`, …: an integer from 1 (a page past the end, or not a number, is a 404).

    DRF also takes `?page=last`, and an empty `?page=` as the first page, which the schema (an integer) does not
    allow; both are 404s here.
    """

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        # DRF reads an empty `?page=` as page 1; it is not an integer, so it is a 404 like any other.
        return request.query_params.get(self.page_query_param, 1)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
