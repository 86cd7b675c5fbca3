"""Deployability: the stage config and its least-privilege policy files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

CHALICE = ROOT / ".chalice"
SCOPED_SERVICES = ("dynamodb:", "sqs:", "s3:", "ses:", "ssm:")
SCHEDULED = ("rotation", "targets", "opening_digest", "community", "weekly_digest", "metrics_rollup",
             "reconcile_github", "surveys", "outbox")


def config() -> dict[str, Any]:
    return dict(json.loads((CHALICE / "config.json").read_text()))


def policy_files() -> list[tuple[str, str, Path]]:
    out = []
    for stage, body in config()["stages"].items():
        for function, settings in body["lambda_functions"].items():
            out.append((stage, function, CHALICE / settings["iam_policy_file"]))
    return out


def test_stages_and_no_autogen() -> None:
    c = config()
    assert c["autogen_policy"] is False
    assert set(c["stages"]) == {"dev", "prod"}
    for stage, body in c["stages"].items():
        env = body["environment_variables"]
        assert env["SUPPORT_HERO_STAGE"] == stage
        assert env["EVENTS_QUEUE_NAME"] == f"support-hero-{stage}-events.fifo"
        assert env["SLACK_SIGNING_SECRET_PARAM"].startswith(f"/support-hero/{stage}/")
        assert "SLACK_SIGNING_SECRET" not in env and "SLACK_BOT_TOKEN" not in env  # secrets live in SSM


@pytest.mark.parametrize(("stage", "function", "path"), policy_files(), ids=lambda v: str(v))
def test_policies_are_scoped_to_the_stage(stage: str, function: str, path: Path) -> None:
    policy = json.loads(path.read_text())
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in actions
        if any(a.startswith(SCOPED_SERVICES) for a in actions):
            assert "*" not in resources, statement
            assert all(f"support-hero-{stage}-" in r or f"/support-hero/{stage}/" in r or r.startswith("arn:aws:ses:")
                       for r in resources), statement
    granted = {a for s in policy["Statement"] for a in s["Action"]}
    if function == "api_handler":
        assert "sqs:SendMessage" in granted and "sqs:ReceiveMessage" not in granted
    elif function == "outbox":
        # The outbox schedule sends what the worker sends (Slack, SES, GitHub) and re-runs parked events.
        assert {"sqs:SendMessage", "ses:SendRawEmail", "s3:GetObject"} <= granted
        assert "sqs:ReceiveMessage" not in granted and "dynamodb:Scan" not in granted
    elif function in SCHEDULED:
        # Scheduled jobs read tickets, post to Slack and enqueue deliveries; they consume nothing.
        assert "sqs:SendMessage" in granted and "sqs:ReceiveMessage" not in granted
        assert "dynamodb:Scan" not in granted
    elif function == "on_inbound_email":
        assert granted >= {"sqs:SendMessage", "s3:PutObject"} and not any(a.startswith("dynamodb:") for a in granted)
    else:
        # The worker consumes, and enqueues the deliveries of issue-closed notices it fans out.
        assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"} <= granted


def test_the_worker_may_read_the_secrets_it_is_configured_with() -> None:
    for stage, body in config()["stages"].items():
        env = body["environment_variables"]
        worker = json.loads((CHALICE / body["lambda_functions"]["on_event"]["iam_policy_file"]).read_text())
        api = json.loads((CHALICE / body["lambda_functions"]["api_handler"]["iam_policy_file"]).read_text())

        def ssm_resources(policy: dict[str, Any]) -> set[str]:
            return {r for s in policy["Statement"] if "ssm:GetParameter" in s["Action"] for r in s["Resource"]}

        assert any(r.endswith(env["SLACK_BOT_TOKEN_PARAM"]) for r in ssm_resources(worker)), stage
        assert any(r.endswith(env["SLACK_SIGNING_SECRET_PARAM"]) for r in ssm_resources(api)), stage
        assert any(r.endswith(env["GITHUB_WEBHOOK_SECRET_PARAM"]) for r in ssm_resources(api)), stage
        assert any(r.endswith(env["GITHUB_TOKEN_PARAM"]) for r in ssm_resources(worker)), stage


def test_bootstrap_is_idempotent_and_sets_safety_features(stack: object) -> None:
    import boto3

    from chalicelib.platform.config import get_settings
    from chalicelib.platform.infra import MAX_RECEIVE_COUNT, bootstrap

    settings = get_settings()
    first, second = bootstrap(settings), bootstrap(settings)
    assert first == second
    sqs = boto3.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=first["queue"], AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert int(attrs["VisibilityTimeout"]) >= 6 * settings.worker_timeout_seconds
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == MAX_RECEIVE_COUNT
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"].endswith("-dlq.fifo")
    assert first["inbound_failure_destination"].startswith("skipped")
    # Once the email function is deployed, a re-run points its async failures at the failed-mail queue.
    import io
    import zipfile

    from chalicelib.platform.infra import email_function_name

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("app.py", "def on_inbound_email(event, context):\n    return None\n")
    role = boto3.client("iam").create_role(RoleName=f"r-{os.getpid()}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda")
    lam.create_function(FunctionName=email_function_name(settings), Runtime="python3.11", Role=role,
                        Handler="app.on_inbound_email", Code={"ZipFile": code.getvalue()})
    third = bootstrap(settings)
    config = lam.get_function_event_invoke_config(FunctionName=email_function_name(settings))
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == third["inbound_failure_destination"]
    assert third["inbound_failure_destination"].endswith(":support-hero-test-inbound-failed")
    dynamodb = boto3.client("dynamodb")
    for table in first["tables"]:
        backups = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    directory_table = next(t for t in first["tables"] if t.endswith("-directory"))
    ttl = dynamodb.describe_time_to_live(TableName=directory_table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    indexes = {i["IndexName"] for i in dynamodb.describe_table(TableName=first["tables"][0])["Table"][
        "GlobalSecondaryIndexes"]}
    assert indexes == {"by_number", "by_listing", "by_assignee", "by_unassigned", "by_awaiting", "by_status",
                       "by_priority", "by_channel", "by_customer", "by_due", "by_sla_check", "by_survey",
                       "by_requester"}


def test_bootstrap_adds_indexes_an_older_table_lacks(stack: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade: the deployed tickets table predates an index; bootstrap adds it without a rebuild."""
    import boto3

    from chalicelib.platform.config import get_settings, reset_settings
    from chalicelib.platform.infra import ensure_tables

    monkeypatch.setenv("TABLE_PREFIX", "support-hero-upgrade-")
    reset_settings()
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(TableName="support-hero-upgrade-tickets", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "ticket_id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "ticket_id", "KeyType": "HASH"}])
    try:
        ensure_tables(get_settings())
        described = dynamodb.describe_table(TableName="support-hero-upgrade-tickets")["Table"]
        assert len(described["GlobalSecondaryIndexes"]) == 13
    finally:
        monkeypatch.delenv("TABLE_PREFIX")
        reset_settings()
        from chalicelib.models import bind_models
        from chalicelib.platform.config import endpoint_url

        settings = get_settings()
        bind_models(table_prefix=settings.table_prefix, region=settings.region, host=endpoint_url("dynamodb"))


def test_every_job_is_a_scheduled_lambda_with_its_own_least_privilege_policy() -> None:
    import app as app_module
    from chalicelib.jobs.registry import JOBS

    schedules = {s.name: s for s in app_module.app.event_sources if type(s).__name__ == "ScheduledEventConfig"}
    assert set(schedules) == set(JOBS) == set(SCHEDULED)
    for name in JOBS:
        assert callable(getattr(app_module, name))  # the handler Lambda calls: app.<name>
        assert schedules[name].handler_string == f"app.{name}"
    assert schedules["targets"].schedule_expression.to_string() == "rate(5 minutes)"
    assert schedules["rotation"].schedule_expression.to_string() == "rate(1 hour)"
    for stage, body in config()["stages"].items():
        assert set(SCHEDULED) <= set(body["lambda_functions"]), stage


def packaged_template(out: Path, stage: str = "dev") -> dict[str, Any]:
    """``make package``'s template: ``chalice package`` with the alarms merged in."""
    import subprocess
    import sys

    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SUPPORT_HERO_STAGE": stage}
    subprocess.run([str(Path(sys.executable).parent / "chalice"), "package", "--stage", stage,
                    "--merge-template", "infra/alarms.json", str(out)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return dict(json.loads((out / "sam.json").read_text()))


def test_the_packaged_template_alarms_on_failed_side_effects_worker_failures_and_the_dlq(tmp_path: Path) -> None:
    from chalicelib.platform.infra import dlq_name
    from chalicelib.platform.observability import SERVICE, metrics

    makefile = (ROOT / "Makefile").read_text()
    assert makefile.count("chalice package --stage $(STAGE) --merge-template infra/alarms.json") == 2  # lint, package
    template = packaged_template(tmp_path / "cfn")
    alarms = {r["Properties"]["MetricName"]: r["Properties"] for r in template["Resources"].values()
              if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarms) == {"SideEffectsFailed", "WorkerFailures", "ApproximateNumberOfMessagesVisible"}
    for name in ("SideEffectsFailed", "WorkerFailures"):
        alarm = alarms[name]
        # What Powertools emits: the Metrics namespace, one dimension set [service].
        assert (alarm["Namespace"], alarm["Dimensions"]) == (metrics.namespace, [{"Name": "service", "Value": SERVICE}])
        assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 300, 1)
    dlq = alarms["ApproximateNumberOfMessagesVisible"]
    assert dlq["Namespace"] == "AWS/SQS"
    stage = template["Parameters"]["Stage"]
    assert set(stage["AllowedValues"]) == set(config()["stages"]) and stage["Default"] == "dev"
    [dimension] = dlq["Dimensions"]
    assert dimension["Name"] == "QueueName"
    for name in config()["stages"]:  # the name infra.bootstrap gives the stage's dead-letter queue
        queue = config()["stages"][name]["environment_variables"]["EVENTS_QUEUE_NAME"]
        assert dimension["Value"]["Fn::Sub"].replace("${Stage}", name) == dlq_name(queue)
    for alarm in alarms.values():
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        # No topic (the default): no action; a topic: told when it fires and when it clears.
        for actions in ("AlarmActions", "OKActions"):
            assert alarm[actions] == {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Resources"]["OnEvent"]["Type"] == "AWS::Serverless::Function"  # merged into, not replaced
