"""Klinikadgang: login, onboarding and patient registration for Danish clinics."""

from flask import Flask

from app.core import config as config_module
from app.core import db, logfilter


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app: defaults, then instance/config.py, then the environment, then test_config."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_module.Config)
    app.config.from_pyfile("config.py", silent=True)
    config_module.load_environment(app.config)
    if test_config:
        app.config.from_mapping(test_config)
    config_module.finalise(app)

    if app.config["TRUSTED_PROXIES"]:
        # Behind a load balancer: the client's address (rate limits) and scheme come from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    db.init_app(app)
    _init_extensions(app)
    logfilter.install("werkzeug", "gunicorn.access")

    from app import provider
    from app.blueprints import (
        audit_log,
        auth,
        clinic_settings,
        enrolment,
        exemptions,
        help,
        main,
        memberships,
        onboarding,
        operator,
        patients,
        profile,
        selection,
    )
    from app.core import cli, errors, web

    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(onboarding.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(selection.bp)
    app.register_blueprint(operator.bp)
    app.register_blueprint(patients.bp)
    app.register_blueprint(clinic_settings.bp)
    app.register_blueprint(audit_log.bp)
    app.register_blueprint(help.bp)
    app.register_blueprint(memberships.bp)
    app.register_blueprint(exemptions.bp)
    app.register_blueprint(enrolment.bp)
    provider.init_app(app)
    from app.blueprints import approvals, kiosk, portal, portal_data

    app.register_blueprint(portal.bp)
    app.register_blueprint(portal_data.bp)
    app.register_blueprint(approvals.bp)
    app.register_blueprint(kiosk.bp)
    approvals.init_app(app)
    kiosk.init_app(app)
    if app.config["ENV_NAME"] != "production":
        from app.blueprints import dev

        app.register_blueprint(dev.bp)
    return app


def _init_extensions(app: Flask) -> None:
    """Bind the extension objects and the OIDC clients to this app."""
    from app import oidc
    from app.blueprints.auth import access, sessions
    from app.core import i18n
    from app.core.extensions import csrf, htmx, limiter, login_manager, mail

    csrf.init_app(app)
    htmx.init_app(app)
    mail.init_app(app)
    if app.config.get("REDIS_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    limiter.init_app(app)
    i18n.init_app(app)
    sessions.init_app(app, login_manager)
    oidc.init_app(app)
    access.init_app(app)
