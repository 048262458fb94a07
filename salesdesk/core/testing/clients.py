"""HTTP clients for tests: bearer-token API clients per persona, and session clients."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


class ApiClient:
    """A thin JSON client: ``.get/.post/.patch/.delete(path, body)`` returning the response."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _send(self, method: str, path: str, body: Any = None, **extra):
        kwargs = {**self.headers, **extra}
        if body is not None:
            return getattr(self.client, method)(path, data=json.dumps(body), content_type="application/json", **kwargs)
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **extra):
        return self._send("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra):
        return self._send("post", path, body if body is not None else {}, **extra)

    def patch(self, path: str, body: Any = None, **extra):
        return self._send("patch", path, body if body is not None else {}, **extra)

    def put(self, path: str, body: Any = None, **extra):
        return self._send("put", path, body if body is not None else {}, **extra)

    def delete(self, path: str, **extra):
        return self._send("delete", path, **extra)


class ApiClientFactory:
    def __init__(self, personas: dict):
        self.personas = personas
        self._clients: dict[str, ApiClient] = {}

    def __call__(self, username: str | None) -> ApiClient:
        if username is None or username == "anonymous":
            return ApiClient(None)
        if username not in self._clients:
            from salesdesk.org.services import create_api_token

            user = self.personas[username]
            self._clients[username] = ApiClient(create_api_token(actor=user, user=user, name="test").raw)
        return self._clients[username]
