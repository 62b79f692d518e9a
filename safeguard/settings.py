"""Safeguard settings: one module, read from the environment (see docs/configuration.md)."""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from safeguard.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("SAFEGUARD_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
# An empty key is caught by safeguard.core.checks when DEBUG is off; the development key never reaches production.
SECRET_KEY = envstr("SECRET_KEY") or ("dev-only-insecure-key" if DEBUG else "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "safeguard.core",
    "safeguard.catalog",
    "safeguard.tracker",
    "safeguard.risk",
    "safeguard.workforce",
    "safeguard.access",
    "safeguard.training",
    "safeguard.incidents",
    "safeguard.activity",
    "safeguard.contingency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it tells the person why they were signed out.
    "safeguard.core.middleware.IdleSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safeguard.urls"
WSGI_APPLICATION = "safeguard.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "safeguard" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safeguard.core.context_processors.organization",
            ],
        },
    }
]

if not envstr("DATABASE_URL"):
    # The embedded default keeps its database in the data folder; SQLite will not create the folder itself.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'safeguard.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock when a transaction starts,
    # so read-then-write sequences (the audit chain's head) never interleave.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif envstr("TEST_DATABASE_NAME", ""):
    # Several test runs on one PostgreSQL server (CI's, a developer's) each need their own test database.
    DATABASES["default"]["TEST"] = {"NAME": envstr("TEST_DATABASE_NAME", "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock an account/IP pair out after repeated failures (django-axes).
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "safeguard.core.auth_views.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
# Wrong one-time codes also count as failures; never keep what was typed (a near-miss recovery code is a secret).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Sessions end after this many idle minutes (checked on every request).
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = "Safeguard"

SECURE = envbool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(envstr("EVIDENCE_DIR", str(DATA_DIR / "evidence")))
MEDIA_URL = "/never-served-directly/"
# Activity review's event store: one DuckDB database per organization under this folder (store/duckdb.py).
ACTIVITY_STORE_DIR = Path(envstr("ACTIVITY_STORE_DIR", str(DATA_DIR / "activity")))
# Seconds an operation waits for the store while another holds it, and DuckDB's memory cap ("4GB"; blank: its
# default, 80 % of RAM).
ACTIVITY_STORE_LOCK_SECONDS = envint("ACTIVITY_STORE_LOCK_SECONDS", 30)
ACTIVITY_STORE_MEMORY_LIMIT = envstr("ACTIVITY_STORE_MEMORY_LIMIT", "")
ACTIVITY_UPLOAD_MAX_BYTES = envint("ACTIVITY_UPLOAD_MAX_MB", 2048) * 1024 * 1024
# The syslog listener binds to loopback unless told otherwise (manage.py syslog_listen --host).
ACTIVITY_SYSLOG_HOST = envstr("ACTIVITY_SYSLOG_HOST", "127.0.0.1")
ACTIVITY_SYSLOG_PORT = envint("ACTIVITY_SYSLOG_PORT", 5514)

EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_MB", 25) * 1024 * 1024
EVIDENCE_ALLOWED_TYPES = envlist(
    "EVIDENCE_ALLOWED_TYPES",
    "application/pdf,image/png,image/jpeg,text/plain,text/csv,application/json,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
EVIDENCE_RETENTION_YEARS = 6
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "safeguard@localhost")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)

# Background work: database-backed queue by default, run by `manage.py db_worker`; TASKS_BACKEND=immediate
# runs tasks inline (tests, tiny installs).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if envstr("TASKS_BACKEND", "database") == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "safeguard.core.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "safeguard.core.api_pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "safeguard.core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "1200/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Safeguard API",
    "DESCRIPTION": "HIPAA Security Rule compliance program: organizations, evidence, tracker verdicts, audit trail.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models have a `kind` choice set; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "safeguard.core.models.organizations.Organization.Kind",
        "RequirementKindEnum": "safeguard.catalog.models.Requirement.Kind",
        "SanctionPolicyStatusEnum": "safeguard.risk.models.sanctions.SanctionPolicy.Status",
        "SanctionLevelEnum": "safeguard.risk.models.sanctions.SanctionLevel",
        "AssetKindEnum": "safeguard.risk.models.assets.AssetKind",
        "AssetStatusEnum": "safeguard.risk.models.assets.Asset.Status",
        "RiskStatusEnum": "safeguard.risk.models.analysis.Risk.Status",
        "RiskAnalysisStatusEnum": "safeguard.risk.models.analysis.RiskAnalysis.Status",
        "ReportKindEnum": "safeguard.risk.models.jobs.ReportJob.Kind",
        "ImportKindEnum": "safeguard.risk.models.jobs.ImportJob.Kind",
        "ImportStateEnum": "safeguard.risk.models.jobs.ImportJob.State",
        "VerdictBasisEnum": "safeguard.tracker.models.Basis",
        "AddressableDecisionEnum": "safeguard.tracker.models.AddressableDecision.Decision",
        "PersonStatusEnum": "safeguard.workforce.models.people.Person.Status",
        "PersonSourceEnum": "safeguard.workforce.models.people.Person.Source",
        "WorkerTypeEnum": "safeguard.workforce.models.people.WorkerType",
        "IssuedItemKindEnum": "safeguard.workforce.models.people.IssuedItem.Kind",
        "AuthorizationBasisEnum": "safeguard.workforce.models.people.Authorization.Basis",
        "ClearanceResultEnum": "safeguard.workforce.models.people.Clearance.Result",
        "WorkflowKindEnum": "safeguard.workforce.models.workflows.Workflow.Kind",
        "WorkflowStatusEnum": "safeguard.workforce.models.workflows.Workflow.Status",
        "WorkflowTaskKindEnum": "safeguard.workforce.models.workflows.WorkflowTask.Kind",
        "WorkflowTaskStatusEnum": "safeguard.workforce.models.workflows.WorkflowTask.Status",
        "AccountStatusEnum": "safeguard.access.models.accounts.AccountStatus",
        "AccountClassificationEnum": "safeguard.access.models.accounts.Classification",
        "MatchMethodEnum": "safeguard.access.models.accounts.MatchMethod",
        "AccessExceptionStatusEnum": "safeguard.access.models.profiles.AccessException.Status",
        "ReviewCampaignStatusEnum": "safeguard.access.models.reviews.ReviewCampaign.Status",
        "FindingKindEnum": "safeguard.access.models.reviews.Finding.Kind",
        "ReviewDecisionEnum": "safeguard.access.models.reviews.ReviewItem.Decision",
        "BreakGlassSourceEnum": "safeguard.access.models.breakglass.BreakGlassActivation.Source",
        "CourseKindEnum": "safeguard.training.models.curriculum.CourseKind",
        "CourseDeliveryEnum": "safeguard.training.models.curriculum.Delivery",
        "CourseStatusEnum": "safeguard.training.models.curriculum.Course.Status",
        "QuestionKindEnum": "safeguard.training.models.curriculum.Question.Kind",
        "AudienceKindEnum": "safeguard.training.models.assignments.AudienceKind",
        "AssignmentCadenceEnum": "safeguard.training.models.assignments.Cadence",
        "CadenceEnum": "safeguard.core.models.obligations.Cadence",
        "AssignmentStatusEnum": "safeguard.training.models.assignments.Assignment.Status",
        "CompletionSourceEnum": "safeguard.training.models.completions.Completion.Source",
        "PhishingCampaignSourceEnum": "safeguard.training.models.phishing.PhishingCampaign.Source",
        "PhishingOutcomeEnum": "safeguard.training.models.phishing.PhishingOutcome",
        "SecurityReminderStatusEnum": "safeguard.training.models.reminders.SecurityReminder.Status",
        "AckDocumentKindEnum": "safeguard.training.models.acknowledgements.AckDocument.Kind",
        "AckDocumentVersionStatusEnum": "safeguard.training.models.acknowledgements.AckDocumentVersion.Status",
        "PhishingImportFormatEnum": "safeguard.training.phishing_import.FORMAT_NAMES",
        "AcknowledgementMethodEnum": "safeguard.training.models.acknowledgements.Acknowledgement.Method",
        "LogSourceKindEnum": "safeguard.activity.models.sources.SourceKind",
        "LogSourceFormatEnum": "safeguard.activity.models.sources.SourceFormat",
        "IngestBatchChannelEnum": "safeguard.activity.models.sources.IngestBatch.Channel",
        "IngestBatchStateEnum": "safeguard.activity.models.sources.IngestBatch.State",
        "DetectionRuleKindEnum": "safeguard.activity.models.rules.DetectionRule.Kind",
        "DetectionRuleModeEnum": "safeguard.activity.models.rules.DetectionRule.Mode",
        "DetectionRuleOriginEnum": "safeguard.activity.models.rules.DetectionRule.Origin",
        "RuleRunTriggerEnum": "safeguard.activity.models.rules.RuleRun.Trigger",
        "RuleRunStateEnum": "safeguard.activity.models.rules.RuleRun.State",
        "AlertSeverityEnum": "safeguard.activity.models.rules.Severity",
        "AlertStatusEnum": "safeguard.activity.models.alerts.AlertStatus",
        "ActivityReviewConclusionEnum": "safeguard.activity.models.reviews.ActivityReview.Conclusion",
        "IncidentSeverityEnum": "safeguard.incidents.models.incidents.IncidentSeverity",
        "IncidentStatusEnum": "safeguard.incidents.models.incidents.IncidentStatus",
        "RestoreCadenceEnum": "safeguard.contingency.api.settings.CADENCE_CHOICES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # WeasyPrint logs a line per page laid out; reports of hundreds of pages would flood the worker's log.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"}},
}
