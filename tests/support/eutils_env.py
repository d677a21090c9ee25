"""What tests that run the tracker against the local E-utilities server share."""

TERM = '"Mitragyna"[MeSH Terms] OR kratom[tiab]'
KEY = "test-secret-key-0123456789abcdef"


def env_for(fake, fast=True, **extra):
    env = {
        "TRACKER_EUTILS_URL": fake.url,
        "TRACKER_BACKOFF_SECONDS": "0.01",
        "NCBI_EMAIL": "tests@example.org",
    }
    if fast:  # the real rate is tested on its own; elsewhere the fake server does not limit
        env["TRACKER_MAX_RATE"] = "500"
        fake.state.rate_limit = None
    env.update(extra)
    return env
