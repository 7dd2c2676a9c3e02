"""Create the first super admin of a deployed Parley stack.

    python scripts/create_super_admin.py --stack parley --email you@example.com --name "You"

Uses your AWS credentials (the same ones `sam deploy` used) to find the stack's tables,
then the domain service that the API uses, so the password rules and the email's
uniqueness apply. The password is asked for on the terminal, never taken as an argument.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

from local.cfn import global_refs, load_template  # noqa: E402


def stack_environment(stack: str, region: str | None) -> dict[str, str]:
    """The functions' environment variables that name resources, read from the stack."""
    cloudformation = boto3.client("cloudformation", region_name=region)
    physical = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        physical.update({r["LogicalResourceId"]: r["PhysicalResourceId"] for r in page["StackResourceSummaries"]})
    env = {name: physical[logical_id] for name, logical_id in global_refs(load_template()).items()}
    # Settings wants every variable; these two are not used by the user service.
    env.update(WEBSOCKET_ENDPOINT="https://unused", WEBSOCKET_URL="wss://unused", WIDGET_TOKEN_SECRET="unused")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="parley")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"))
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    os.environ.update(stack_environment(args.stack, args.region))
    if args.region:
        os.environ["AWS_REGION"] = args.region
    password = getpass.getpass("Password (upper and lower case, a number, a symbol, 8+ characters): ")
    from parley.errors import ParleyError
    from parley.services.access import users

    try:
        user = users.create_user(email=args.email, name=args.name, password=password, super_admin=True)
    except ParleyError as exc:
        sys.exit(f"Not created: {exc.message}")
    print(f"Super admin {user.email} created (id {user.id}). Sign in at your dashboard URL.")


if __name__ == "__main__":
    main()
