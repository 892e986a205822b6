"""Authlib 1.9 as shipped, configured as its Flask docs show, on the contract's paths.

`python server.py DATA_DIR TARGET_OUT [--port N] [--token-ttl S]` binds 127.0.0.1 (port 0 =
a free one), writes the harness target file for the bound port, then serves.

Everything below is Authlib's documented setup (SQLAlchemy mixins, AuthorizationServer,
ClientCredentialsGrant, ClientRegistrationEndpoint, ResourceProtector). The only glue:
- routes on the contract's paths (`/o/client/register`, `/o/client/token`,
  `/api/v2/<service_provider>/configuration`);
- `authenticate_token` admits every registration request: the contract has no initial
  access token, the software statement is the credential;
- `resolve_public_key` picks the trusted key by the statement's `kid` (provision.py) and
  answers "no key" (Authlib: unapproved_software_statement) for the revoked one.
Nothing else of the library's behaviour is changed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.sqla_oauth2 import (
    OAuth2ClientMixin,
    OAuth2TokenMixin,
    create_bearer_token_validator,
    create_query_client_func,
    create_save_token_func,
)
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from joserfc import jws
from provision import ALLOWED_REDIRECT_URI, STATEMENTS
from werkzeug.serving import make_server

SERVICE_PROVIDER = "INTEROP"
db = SQLAlchemy()


class Client(db.Model, OAuth2ClientMixin):
    id = db.Column(db.Integer, primary_key=True)


class Token(db.Model, OAuth2TokenMixin):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, nullable=True)  # as in Authlib's docs; client_credentials has no user


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    # Authlib's documented way to accept body credentials (client_secret_post) as well.
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def registration_endpoint(data_dir: Path) -> type[ClientRegistrationEndpoint]:
    approved = json.loads((data_dir / "approved.jwk.json").read_text())
    public = {k: v for k, v in approved.items() if k in ("kty", "n", "e", "kid")}

    class RegistrationEndpoint(ClientRegistrationEndpoint):
        software_statement_alg_values_supported = ["RS256"]

        def authenticate_token(self, request):
            return True  # glue: open registration, the statement is the credential

        def resolve_public_key(self, request):
            # glue: the trust of provision.py; anything but the revoked kid is checked
            # against the approved key (a foreign signature then fails verification).
            statement = (request.payload.data or {}).get("software_statement")
            try:
                kid = jws.extract_compact(statement.encode()).headers().get("kid")
            except Exception:  # not a JWS: let Authlib's own decode reject it
                kid = None
            return None if kid == "revoked" else public

        def get_server_metadata(self):
            return {
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }

        def save_client(self, client_info, client_metadata, request):
            client = Client(**client_info)
            client.set_client_metadata(client_metadata)
            db.session.add(client)
            db.session.commit()
            return client

    return RegistrationEndpoint


def create_app(data_dir: Path, token_ttl: int) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{data_dir / 'authlib.sqlite3'}",
        OAUTH2_TOKEN_EXPIRES_IN={"client_credentials": token_ttl},
    )
    db.init_app(app)
    with app.app_context():
        db.create_all()

    server = AuthorizationServer(
        app,
        query_client=create_query_client_func(db.session, Client),
        save_token=create_save_token_func(db.session, Token),
    )
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(registration_endpoint(data_dir))
    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(create_bearer_token_validator(db.session, Token)())

    @app.post("/o/client/register")
    def register():
        return server.create_endpoint_response(ClientRegistrationEndpoint.ENDPOINT_NAME)

    @app.post("/o/client/token")
    def token():
        return server.create_token_response()

    @app.get("/api/v2/<service_provider>/configuration")
    @require_oauth()
    def configuration(service_provider):
        return jsonify({"serviceProvider": service_provider, "configuration": {}})

    return app


def target_document(url: str, data_dir: Path, token_ttl: int) -> dict:
    # No throttle, no admin hook: those keys are left out (THR-* take the documented profile).
    return {
        "name": "authlib-1.9.9",
        "base_url": url,
        "protected_api": {"method": "GET", "path": f"/api/v2/{SERVICE_PROVIDER}/configuration"},
        "statements": {name: f"@{data_dir / (name + '.jwt')}" for name in STATEMENTS},
        "allowed_redirect_uri": ALLOWED_REDIRECT_URI,
        "token_ttl_seconds": token_ttl,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data_dir", type=Path)
    p.add_argument("target_out", type=Path)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--token-ttl", type=int, default=4)
    args = p.parse_args()
    data_dir = args.data_dir.resolve()
    app = create_app(data_dir, args.token_ttl)
    httpd = make_server("127.0.0.1", args.port, app, threaded=True)  # loopback only
    url = f"http://127.0.0.1:{httpd.server_port}"
    tmp = args.target_out.with_name(f".{args.target_out.name}.tmp")
    tmp.write_text(json.dumps(target_document(url, data_dir, args.token_ttl), indent=2) + "\n")
    os.replace(tmp, args.target_out)  # atomically: run.sh polls for it
    print(f"authlib interop server on {url}", file=sys.stderr, flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
