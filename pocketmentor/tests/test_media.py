"""Uploaded images on an S3-compatible server (moto's, on loopback) as on local disk."""

import ast
import io
import json
import uuid

import boto3
import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from moto.server import ThreadedMotoServer
from PIL import Image

from pocketmentor.conftest import signed_in
from pocketmentor.programs.models import Card
from pocketmentor.tests.test_env import settings_of

WEEK = "/studio/fjordvik/p/lead/weeks/1/"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A fresh bucket, and the storage settings a server reads from the S3_ variables."""
    name = f"media-{uuid.uuid4().hex[:8]}"
    environment = {
        "DATA_DIR": str(tmp_path),
        "S3_BUCKET": name,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_REGION": "eu-north-1",
        "S3_ACCESS_KEY_ID": "pocketmentor",
        "S3_SECRET_ACCESS_KEY": "not-a-real-secret",
    }
    storages, s3_public_url = settings_of(environment, "STORAGES", "S3_PUBLIC_URL")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-north-1",
        aws_access_key_id="pocketmentor",
        aws_secret_access_key="not-a-real-secret",
    )
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    settings.STORAGES = ast.literal_eval(storages)
    settings.S3_PUBLIC_URL = ast.literal_eval(s3_public_url)
    settings.MEDIA_ROOT = tmp_path / "media"  # must stay empty
    client.name = name
    return client


def upload_image(facilitator) -> Card:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), "#0b5d6b").save(buffer, format="PNG")
    signed_in(facilitator).post(
        f"{WEEK}cards/new/",
        {
            "kind": "image",
            "caption": "A team meeting",
            "image": SimpleUploadedFile("photo.png", buffer.getvalue()),
        },
    )
    return Card.objects.get(kind="image")


def test_an_image_uploaded_in_the_studio_is_kept_in_the_bucket_and_served_from_it(
    facilitator, program, bucket, settings
):
    assert settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    card = upload_image(facilitator)
    name = card.url.removeprefix("/media/")
    stored = bucket.get_object(Bucket=bucket.name, Key=name)["Body"].read()
    assert Image.open(io.BytesIO(stored)).size == (1280, 720)
    assert not settings.MEDIA_ROOT.exists()  # nothing on this server's disk

    response = Client().get(card.url)  # any server: it reads the bucket
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == stored
    assert Client().get("/media/cards/nothing-here.jpg").status_code == 404


def test_with_a_public_address_browsers_fetch_images_from_the_bucket(
    facilitator, program, bucket, settings
):
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket.name}/*",
            }
        ],
    }  # what an operator sets on a bucket behind S3_PUBLIC_URL
    bucket.put_bucket_policy(Bucket=bucket.name, Policy=json.dumps(public_read))
    card = upload_image(facilitator)
    settings.S3_PUBLIC_URL = f"{bucket.meta.endpoint_url}/{bucket.name}"
    response = Client().get(card.url)
    assert response.status_code == 302
    image = requests.get(response["Location"], timeout=10)
    assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).format == "JPEG"
    assert Client().get("/media/cards/page.html").status_code == 404  # still never HTML
