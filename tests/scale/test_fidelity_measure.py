"""The fidelity bench's scoring of one job (bench/fidelity/measure.py)."""

from __future__ import annotations

from bench.fidelity.corpus import JobLabel, PublishLabel
from bench.fidelity.measure import JobView, Report, _publish, _route_matches


def _view(*registries: str) -> JobView:
    return JobView(
        publishes=registries,
        probable=registries,
        routes=tuple(f"{r}:unknown" for r in registries),
        route_unknown=registries,
        outsider=(),
        starter_injections=(),
        unpinned=(),
    )


def test_a_probable_publish_somewhere_unnamed_of_a_job_publishing_outside_the_registries_counts_neither_way() -> None:
    # signald's apt repository in a DigitalOcean Spaces bucket (round 30): the label says it publishes where the bench
    # counts nothing, regwarden that it probably publishes where it cannot name; neither a hit nor a false alarm
    label = JobLabel("o/r", ".gitlab-ci.yml", "apt", (PublishLabel("other:sfo2.digitaloceanspaces.com", "unknown"),))
    report = Report()
    _publish(report, label.key, label, _view("other:*"))
    assert (report.publish_jobs.tp, report.publish_jobs.fp, report.publish_jobs.fn) == (0, 0, 0)
    assert (report.out_of_scope, report.out_of_scope_unnamed) == (1, 1)
    # a registry regwarden names there is a false positive, as before
    named = Report()
    _publish(named, label.key, label, _view("npm"))
    assert named.publish_jobs.fp == 1
    assert named.out_of_scope_unnamed == 0
    # and a job that publishes nothing at all, reported somewhere unnamed, is one too
    quiet = Report()
    _publish(quiet, label.key, JobLabel("o/r", ".gitlab-ci.yml", "apt"), _view("other:*"))
    assert quiet.publish_jobs.fp == 1
    assert quiet.out_of_scope_unnamed == 0


def test_a_cloud_route_is_a_stored_key_for_that_clouds_registry() -> None:
    # the readers' `cloud:<provider>` covers a sign-in with a stored key (pomerium's `credentials_json`); regwarden names it
    assert _route_matches("cloud:gcp", ("gar:secret:GCP_SERVICE_ACCOUNT",), "gar")
    assert _route_matches("cloud:aws", ("ecr:secret:ECR_SECRET_ACCESS_KEY",), "ecr")
    assert not _route_matches("cloud:aws", ("gar:secret:GCP_SERVICE_ACCOUNT",), "gar")
    assert not _route_matches("cloud:gcp", ("dockerhub:secret:HUB_TOKEN",), "dockerhub")


def test_a_route_to_a_registry_named_by_its_host() -> None:
    # `other:<host>` has a colon of its own (round 32's xpkg.upbound.io)
    assert _route_matches("secret:XPKG_TOKEN", ("other:xpkg.upbound.io:secret:XPKG_TOKEN",), "other:xpkg.upbound.io")
    assert not _route_matches("secret:OTHER", ("other:xpkg.upbound.io:secret:XPKG_TOKEN",), "other:xpkg.upbound.io")
    assert _route_matches("github_token", ("ghcr:job_token",), "ghcr")
