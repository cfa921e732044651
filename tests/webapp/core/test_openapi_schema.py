"""The OpenAPI schema tells the truth: authentication challenges, error responses, bodies, pagination, parameters.

Fast checks of what the schemathesis run (test_openapi_contract.py, marked slow) found and what was fixed.
"""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.webapp.catalog.factories import TrackFactory
from tests.webapp.drums.factories import DrumSessionFactory
from tests.webapp.videos.factories import VideoFactory
from webapp.catalog.models import TrackState

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


# --- 401 with a challenge for token clients; cookie sessions as before -------------------------------------------


@pytest.mark.parametrize("method,path", [("get", "/api/jobs/"), ("post", "/api/listens/"), ("get", "/api/tracks/1/")])
def test_no_credentials_is_401_with_a_token_challenge(method, path):
    res = getattr(APIClient(), method)(path)
    assert res.status_code == 401 and res["WWW-Authenticate"] == "Token", (res.status_code, res.content)
    assert res.json()["detail"]


def test_a_wrong_token_is_401_with_a_token_challenge(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    res = client.get("/api/jobs/")
    assert res.status_code == 401 and res["WWW-Authenticate"] == "Token"


def test_pages_still_use_the_session_cookie_with_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/jobs/").status_code == 200
    assert client.post("/api/jobs/selftest/", {}, content_type="application/json").status_code == 403  # no CSRF
    client.get("/accounts/login/")  # sets the CSRF cookie, as every page does
    csrf = client.cookies["csrftoken"].value
    res = client.post("/api/jobs/selftest/", {}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert res.status_code == 202, res.content


def test_schema_documents_the_challenge_and_the_error_responses(openapi):
    assert openapi["components"]["schemas"]["Error"]["properties"]["detail"] == {"type": "string"}
    for name, op in operations(openapi):
        responses = op["responses"]
        if name == "POST /api/auth/token/":  # obtain_auth_token is not throttled
            assert {"400", "401"} <= set(responses), name
            continue
        assert responses["401"]["headers"]["WWW-Authenticate"]["required"], name
        assert "429" in responses and "Retry-After" in responses["429"]["headers"], name
        if "{" in name:
            assert "404" in responses, name
        if "requestBody" in op:
            assert {"400", "415"} <= set(responses), name
        for code, response in responses.items():
            if code in ("400", "401", "403", "404", "409", "413", "415", "429"):
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    paths = openapi["paths"]
    assert {"409", "413"} <= set(paths["/api/tracks/"]["post"]["responses"])
    assert "409" in paths["/api/jobs/{id}/retry/"]["post"]["responses"]
    assert "409" in paths["/api/videos/{id}/recommendations/"]["get"]["responses"]


# --- pagination as it is -------------------------------------------------------------------------------------------


def test_favourites_are_paginated_like_loops(api, user, openapi):
    session = DrumSessionFactory(owner=user)
    loop = api.get(f"/api/drum-sessions/{session.pk}/next/").json()
    api.post(f"/api/drum-loops/{loop['id']}/favourite/", {"favourite": True}, format="json")
    for name in ("loops", "favourites"):
        page = api.get(f"/api/drum-sessions/{session.pk}/{name}/").json()
        assert set(page) == {"count", "next", "previous", "results"}, name
        assert [x["id"] for x in page["results"]] == [loop["id"]]
        schema = openapi["paths"][f"/api/drum-sessions/{{id}}/{name}/"]["get"]["responses"]["200"]
        assert schema["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginatedDrumLoopList"}


def test_lists_that_are_not_paginated_say_so(openapi):
    for path in ("/api/tracks/{id}/similar/", "/api/videos/{id}/recommendations/", "/api/videos/{id}/previews/",
                 "/api/drum-sessions/{id}/like-rate/"):  # fmt: skip
        op = openapi["paths"][path]["get"]
        assert op["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array", path
        assert "page" not in {p["name"] for p in op.get("parameters", [])}, path


def test_page_numbers_are_integers_from_1(api, user):
    for query in ("page=last", "page=", "page=0", "page=x"):
        res = api.get(f"/api/jobs/?{query}")
        assert res.status_code == 404 and res["Content-Type"] == "application/json", query
    assert api.get("/api/jobs/?page=1").status_code == 200


# --- request bodies as they are ------------------------------------------------------------------------------------


def test_uploads_are_multipart_and_other_bodies_json(openapi):
    for name, op in operations(openapi):
        if "requestBody" not in op or name == "POST /api/auth/token/":
            continue
        media = set(op["requestBody"]["content"])
        if name in ("POST /api/tracks/", "POST /api/videos/"):
            assert media == {"multipart/form-data"}, name
            ref = op["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert openapi["components"]["schemas"][ref]["properties"]["file"]["format"] == "binary"
        elif name == "POST /api/search/sections/":  # an uploaded reference, or a span of a catalog track
            assert media == {"multipart/form-data", "application/json"}, name
        else:
            assert media == {"application/json"}, name


def test_json_values_of_the_wrong_type_are_400(api, user):
    for body in ({"swing": False}, {"name": 0}, {"tempo": "120"}, {"tempo": True}):
        res = api.post("/api/drum-sessions/", body, format="json")
        assert res.status_code == 400 and set(body) <= set(res.json()), (body, res.content)
    assert api.post("/api/drum-sessions/", {"name": "ok", "tempo": 120, "swing": 0.1}, format="json").status_code == 201
    assert api.post("/api/jobs/selftest/", {"steps": "5"}, format="json").status_code == 400


def test_form_bodies_on_json_operations_are_415(api, user):
    assert api.post("/api/drum-sessions/", {"name": "form"}, format="multipart").status_code == 415


def test_max_length_counts_the_whitespace_that_would_be_stripped(api, user):
    track = TrackFactory(owner=user, title="t")
    res = api.patch(f"/api/tracks/{track.pk}/", {"title": " " + "x" * 255}, format="json")
    assert res.status_code == 400 and "title" in res.json()
    assert api.patch(f"/api/tracks/{track.pk}/", {"title": " x "}, format="json").json()["title"] == "x"


# --- query parameters: declared, and checked as declared -----------------------------------------------------------


def test_hand_parsed_query_parameters_are_declared(openapi):
    def params(path, method="get"):
        return {p["name"]: p["schema"] for p in openapi["paths"][path][method].get("parameters", [])}

    tracks = params("/api/tracks/")
    assert {"q", "mine", "state", "tags", "tempo_min", "tempo_max", "min_duration", "page"} <= set(tracks)
    assert tracks["state"]["enum"] == list(TrackState.values) and tracks["mine"]["type"] == "boolean"
    assert tracks["tags"]["type"] == "array" and "workout" in tracks["tags"]["items"]["enum"]
    similar = params("/api/tracks/{id}/similar/")
    assert similar["k"] == {"type": "integer", "maximum": 100, "minimum": 1, "default": 10}
    loop = params("/api/drum-loops/{id}/audio/")
    assert (loop["tempo"]["minimum"], loop["tempo"]["maximum"], loop["swing"]["maximum"]) == (60, 200, 0.75)
    now = params("/api/playlists/now/")
    assert now["time"]["format"] == "date-time" and now["k"]["maximum"] == 100 and "enum" in now["device"]
    markers = params("/api/videos/{id}/markers/")
    assert markers["as"]["enum"] == ["csv", "edl"] and markers["fps"]["type"] == "integer"
    assert {"mode", "structure", "method", "k", "tags"} <= set(params("/api/videos/{id}/recommendations/"))
    assert params("/api/tracks/{id}/tags/", "delete")["tag"]["enum"]


@pytest.mark.parametrize("query", ["time=", "device=", "k=", "k=101", "time=noon"])
def test_an_empty_or_invalid_query_value_is_a_400(api, user, query):
    res = api.get(f"/api/playlists/now/?{query}")
    assert res.status_code == 400 and query.split("=")[0] in res.json(), res.content


def test_track_list_filters_are_checked(api, user):
    assert api.get("/api/tracks/?state=ready&mine=true&tags=workout,party&tempo_min=60").status_code == 200
    for query in ("state=", "state=done", "mine=maybe", "tags=nope", "tempo_min=-1", "tempo_max=x"):
        assert api.get(f"/api/tracks/?{query}").status_code == 400, query


# --- other answers that now match the schema -----------------------------------------------------------------------


def test_unknown_api_urls_are_json_404s(api, user):
    for url in ("/api/nothing-here/", "/api/jobs/abc/", "/api/videos/1.5/"):
        res = api.get(url)
        assert res.status_code == 404 and res.json() == {"detail": "Not found."}, url
    assert b"<html" in Client().get("/no-such-page/").content.lower()  # pages keep Django's HTML


def test_files_can_be_asked_for_by_their_type(api, user):
    session = DrumSessionFactory(owner=user)
    loop = api.get(f"/api/drum-sessions/{session.pk}/next/").json()
    res = api.get(f"/api/drum-loops/{loop['id']}/audio/", HTTP_ACCEPT="audio/wav")
    assert res.status_code == 200 and res["Content-Type"] == "audio/wav"
    res = api.get("/api/drum-loops/999999/midi/", HTTP_ACCEPT="audio/midi")
    assert res.status_code == 404 and res["Content-Type"] == "application/json"


def test_markers_for_a_track_not_analysed_yet_are_409(api, user):
    video = VideoFactory(owner=user, duration=4.0)
    track = TrackFactory(owner=user, state=TrackState.ANALYZING)
    assert api.get(f"/api/videos/{video.pk}/markers/?track={track.pk}").status_code == 409
    assert api.get(f"/api/videos/{video.pk}/markers/?track=999999").status_code == 400
