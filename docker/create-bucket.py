#!/usr/bin/env python3
"""Create the S3 bucket InvoiceFlow stores files in, if it does not exist yet. Safe to rerun.

Reads the same variables as the settings: AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL,
AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Meant for a self-hosted store
(SeaweedFS in compose.yaml) on first start; on AWS the bucket is usually made by whoever made
the account. Retries while the store is still starting; exits 1 with a readable message if it
never answers or refuses.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

DEFAULT_TIMEOUT = 60.0


def say(message: str, *, error: bool = False) -> None:
    """A line of the container's log: JSON like the app's when LOG_FORMAT says so."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from invoiceflow.script_log import say as log_line

    log_line(message, logger="create-bucket", error=error)


def ensure_bucket(bucket: str, timeout: float) -> str:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    region = os.environ.get("AWS_S3_REGION_NAME", "").strip() or "us-east-1"
    client = boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_S3_ENDPOINT_URL", "").strip() or None,
        region_name=region,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "").strip() or None,
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "").strip() or None,
        config=Config(
            connect_timeout=3,
            read_timeout=10,
            retries={"max_attempts": 1},
            s3={"addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE", "path").strip() or "path"},
        ),
    )
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        try:
            try:
                client.head_bucket(Bucket=bucket)
                return "exists"
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket", "NotFound"}:
                    raise
            options = (
                {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            client.create_bucket(Bucket=bucket, **options)
            return "created"
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in {"BucketAlreadyOwnedByYou"}:
                return "exists"
            if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                raise SystemExit(
                    f"create-bucket: ERROR: the store refused our keys for {bucket!r} ({code})"
                ) from None
            last_error = f"{code or type(error).__name__}"
        except BotoCoreError as error:
            last_error = type(error).__name__
        if time.monotonic() >= deadline:
            raise SystemExit(
                f"create-bucket: ERROR: bucket {bucket!r} could not be checked or created "
                f"within {timeout:g}s ({last_error})"
            )
        time.sleep(1)


def load_secrets_from_files() -> None:
    """NAME_FILE -> NAME, as the settings do (invoiceflow/secret_files.py): this script runs
    before Django is set up."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from invoiceflow.secret_files import SecretFileError, load_secret_files

    try:
        load_secret_files()
    except SecretFileError as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(2) from None


def main() -> int:
    load_secrets_from_files()
    bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        say("create-bucket: AWS_STORAGE_BUCKET_NAME is not set: files stay on local disk")
        return 0
    timeout = float(os.environ.get("WAIT_TIMEOUT", DEFAULT_TIMEOUT))
    outcome = ensure_bucket(bucket, timeout)
    say(f"create-bucket: bucket {bucket!r} {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
