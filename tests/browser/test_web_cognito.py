"""AWS mode sign-in: /config.json names a Cognito hosted UI; the client runs the authorization-code
flow with PKCE. The hosted UI and its token endpoint are played by route interception; the ID token
it hands back is a real local-mode token, so the rest of the session runs against the real server."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse

from playwright.sync_api import Route, expect

from tests.browser.harness import Server
from tests.browser.pages import NewPage, send

HOSTED_UI = "https://auth.parley.test"


def test_cognito_hosted_ui_sign_in_with_pkce(new_page: NewPage, user_id: str, web_server: Server) -> None:
    config = {
        "apiBaseUrl": web_server.url,
        "mode": "aws",
        "cognito": {
            "domain": HOSTED_UI.removeprefix("https://"),
            "clientId": "parley-web-client",
            "region": "eu-west-1",
            "userPoolId": "eu-west-1_TEST",
            "redirectUri": f"{web_server.url}/",
        },
    }
    seen: dict[str, dict[str, str]] = {}
    id_token = web_server.token(user_id)

    def hosted_ui(route: Route) -> None:
        url = urllib.parse.urlsplit(route.request.url)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/oauth2/authorize":
            seen["authorize"] = query
            back = f"{query['redirect_uri']}?code=the-code&state={urllib.parse.quote(query['state'])}"
            route.fulfill(status=302, headers={"location": back})
        elif url.path == "/oauth2/token":
            seen["token"] = dict(urllib.parse.parse_qsl(route.request.post_data or ""))
            body = {"id_token": id_token, "access_token": "unused", "refresh_token": "r", "expires_in": 3600}
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body),
                          headers={"access-control-allow-origin": "*"})
        elif url.path == "/logout":
            seen["logout"] = query
            route.fulfill(status=302, headers={"location": query["logout_uri"]})
        else:
            route.abort()

    page = new_page()
    page.context.route("**/config.json", lambda r: r.fulfill(
        status=200, content_type="application/json", body=json.dumps(config)))
    page.context.route(f"{HOSTED_UI}/**", hosted_ui)
    page.reload()

    expect(page.get_by_text("Sign in with your Parley account")).to_be_visible()
    expect(page.get_by_label("User name")).to_have_count(0)  # no dev sign-in in AWS mode
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Message", exact=True).wait_for()

    authorize, token = seen["authorize"], seen["token"]
    assert authorize["response_type"] == "code" and authorize["client_id"] == "parley-web-client"
    assert authorize["code_challenge_method"] == "S256"
    assert "openid" in authorize["scope"].split()
    assert token["grant_type"] == "authorization_code" and token["code"] == "the-code"
    assert token["redirect_uri"] == authorize["redirect_uri"] == f"{web_server.url}/"
    digest = hashlib.sha256(token["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == authorize["code_challenge"]
    assert "code=" not in page.url  # the code does not linger in the address bar or history

    expect(page.locator(".who")).to_have_text(user_id)
    send(page, "Signed in through Cognito")
    expect(page.locator(".messages .msg")).to_have_count(2)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Sign in with your Parley account")).to_be_visible()
    assert seen["logout"]["client_id"] == "parley-web-client"
    assert page.evaluate("localStorage.getItem('parley.session')") is None
