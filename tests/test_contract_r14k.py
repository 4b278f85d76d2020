"""Red team #14k's break 9 (/work/wt/red14k-report.md): imageCache digests as distribution/reference v0.6.0 ``Parse``
checks them (it calls opencontainers/go-digest ``Parse``). Breaks 1, 3: tests/plan/test_stack_loader.py,
tests/plan/test_kimport_red14k.py; 4-6: tests/plan/test_cli.py; 7, 8, 10: tests/plan/test_stack_contract_r14k.py."""

from __future__ import annotations

import pytest

from components.clusters.spec import ImageCache
from components.errors import SpecError

SNAPSHOT = "snap-0123456789abcdef0"
IMAGE = "ghcr.io/a/b"


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "A" * 64,  # upper case: go-digest algorithm.go "hex encoding (lower case only)"
        "sha256:" + "ab" * 16,  # 32 hex
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "md5:" + "a" * 32,  # not an available algorithm: ErrDigestUnsupported
        "sha384:" + "a" * 64,
        "sha512:" + "a" * 96,
    ],
)
def test_an_image_cache_digest_go_digest_refuses_is_refused(digest: str) -> None:
    # main accepted all of these (reference.go's grammar alone: an algorithm and 32 or more hex characters)
    with pytest.raises(SpecError) as info:
        ImageCache.model_validate({"source": SNAPSHOT, "images": [f"{IMAGE}@{digest}"]})
    assert str(info.value) == (
        f"ImageCache.images.0: {IMAGE}@{digest} is not allowed; give the digest as sha256: and 64 lowercase hex "
        "characters (or sha384: 96, sha512: 128; opencontainers/go-digest)"
    )


@pytest.mark.parametrize("digest", ["sha256:" + "0a" * 32, "sha384:" + "f" * 96, "sha512:" + "9" * 128])
def test_an_image_cache_digest_go_digest_accepts_is_kept(digest: str) -> None:
    for image in (f"{IMAGE}@{digest}", f"{IMAGE}:1.0@{digest}"):
        assert ImageCache.model_validate({"source": SNAPSHOT, "images": [image]}).images == [image]
