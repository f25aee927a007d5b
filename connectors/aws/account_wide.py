"""Account-wide registry targets: "every ECR / CodeArtifact repository of this account", collected or not."""

from __future__ import annotations

from connectors.aws.policy import Target
from connectors.aws.resources import PROVIDER
from scanner.model import Evidence, Inventory, Node, NodeKind, node_id

#: "Every repository of this service in the account": policies are judged against these even when no
#: repository was collected, so ``AdministratorAccess`` or ``ecr:*`` on ``*`` reaches the registries the
#: account has or will have. The ARN stands for all regions and repositories (a literal ``*``), so only a
#: pattern that covers every one of them (``*``, ``arn:aws:ecr:*:*:repository/*``) matches it.
ACCOUNT_WIDE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("ecr", "ecr-registry", "every ECR repository", ("arn:aws:ecr:*:{account}:repository/*",)),
    (
        "codeartifact",
        "codeartifact-account",
        "every CodeArtifact repository",
        (
            "arn:aws:codeartifact:*:{account}:repository/*/*",
            "arn:aws:codeartifact:*:{account}:package/*/*/*/*/*",
        ),
    ),
)


def account_wide(inv: Inventory, account: str, folder: str) -> list[Target]:
    """The account-level registry nodes of one account and their policy targets."""
    out: list[Target] = []
    ev = (Evidence(f"{folder}/iam-get-account-authorization-details.json"),)
    for service, kind, label, arns in ACCOUNT_WIDE:
        nid = node_id(PROVIDER, kind, account)
        inv.add_node(
            Node(
                nid,
                NodeKind.RESOURCE,
                f"{label} of account {account} (any region, collected or not)",
                PROVIDER,
                f"aws:{kind}",
                account,
                {"category": "registry", "account": account, "service": service, "account_wide": True},
                evidence=ev,
            )
        )
        out.append(Target(nid, account, service, tuple(a.format(account=account) for a in arns)))
    return out
