"""OpenAPI generation: the error responses an operation can give, added to every operation in one place.

``SegueAutoSchema`` is DEFAULT_SCHEMA_CLASS. After drf-spectacular has built an operation it adds the error
responses that DRF itself produces, judged from the view and the operation:

- 400 when the operation has a request body or query parameters (validation and parse errors);
- 401 (with ``WWW-Authenticate``) when the view authenticates with a scheme that has a challenge: no credentials on a
  protected view, or credentials that are wrong on any view;
- 403 when a cookie session needs its CSRF token (unsafe methods), or when no scheme can challenge;
- 404 when there is an object in the path, or a page number;
- 415 when there is a request body (an unsupported Content-Type);
- 429 when the view is throttled (``Retry-After`` says when to come back).

Views declare what only they know (409, 413, 202, binary bodies) with ``extend_schema``; an error response declared
there without a body (``OpenApiResponse(description=...)``) gets the common error body here.
"""

from __future__ import annotations

import uritemplate
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "An error. `detail` says what went wrong; a validation error (400) instead names each invalid field "
        "(or `non_field_errors`) with a list of messages."
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The statuses that DRF and the views answer with a JSON error body (416, from a file view, has none).
ERROR_BODY_CODES = {"400", "401", "403", "404", "405", "406", "409", "413", "415", "429", "500"}


# What DRF's CharField takes: no NUL character; and, when it may not be blank, something besides whitespace
# (it strips the value before checking).
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


class SegueAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and not {"format", "pattern", "enum"} & set(schema)
        ):
            schema["pattern"] = NO_NUL if field.allow_blank or not field.trim_whitespace else NOT_BLANK
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code, (description, headers) in self._error_responses(operation).items():
            responses.setdefault(code, {"description": description})
            response = responses[code]
            if not response.get("description") or response["description"] == "No response body":
                response["description"] = description
            response.setdefault("content", {"application/json": {"schema": self._error_ref()}})
            if headers:
                response.setdefault("headers", {}).update(headers)
        # Declared but bodiless error responses (e.g. a 409 from extend_schema) carry the error body too.
        for code, response in responses.items():
            if code in ERROR_BODY_CODES and "content" not in response:
                response["content"] = {"application/json": {"schema": self._error_ref()}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_ref(self) -> dict:
        component = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _error_responses(self, operation: dict) -> dict[str, tuple[str, dict]]:
        view = self.view
        out: dict[str, tuple[str, dict]] = {}
        query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        has_body = "requestBody" in operation
        if has_body or any(p["name"] != "page" for p in query):
            out["400"] = ("Invalid request: see the fields named in the body.", {})

        authenticators = view.get_authenticators()
        protected = not all(isinstance(p, AllowAny) for p in view.get_permissions())
        challenge = authenticators[0].authenticate_header(view.request) if authenticators else None
        if authenticators and challenge:
            out["401"] = (
                "Not authenticated: no credentials, or invalid ones.",
                {
                    "WWW-Authenticate": {
                        "schema": {"type": "string"},
                        "required": True,
                        "description": f"how to authenticate: `{challenge}` (`Authorization: {challenge} <key>`)",
                    }
                },
            )
        csrf = self.method in UNSAFE_METHODS and any(isinstance(a, SessionAuthentication) for a in authenticators)
        if csrf or (protected and authenticators and not challenge):
            out["403"] = ("Forbidden: not yours to change, or a cookie session request without its CSRF token.", {})

        if uritemplate.variables(self.path) or any(p["name"] == "page" for p in query):
            out["404"] = ("Not found: no such object among those you can see, or no such page.", {})
        if has_body:
            out["415"] = ("Unsupported Content-Type for the request body.", {})
        if view.get_throttles():
            out["429"] = (
                "Too many requests (throttled).",
                {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "seconds to wait before trying again",
                    }
                },
            )
        return out
