"""P003 skips files that hold none of the tokens' fixed starts before running its regex: every
token shape must begin with one of those starts, or the fast path would hide a secret."""

from __future__ import annotations

import pytest

from flowctl.lint.rules.patterns import _TOKEN_STARTS, TOKEN_SHAPES

SAMPLES = {
    "an OpenAI-style key": "sk-proj-" + "a1B2" * 6,
    "a GitHub token": "ghp_" + "A1b2" * 9,
    "an AWS access key id": "AKIA" + "ABCDEFGHIJKLMNOP",
    "a Slack token": "xoxb-1234567890-abc",
    "a JSON web token": "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----",
}


def test_every_shape_has_a_sample() -> None:
    assert {label for label, _ in TOKEN_SHAPES} == set(SAMPLES)


@pytest.mark.parametrize(("label", "shape"), TOKEN_SHAPES, ids=[label for label, _ in TOKEN_SHAPES])
def test_a_token_of_each_shape_passes_the_prefilter(label: str, shape) -> None:
    sample = f"headers: {{X: {SAMPLES[label]}}}"
    assert shape.search(sample), label
    assert any(start in sample for start in _TOKEN_STARTS), label
    for other in ("gho_", "ghu_", "ghs_", "ghr_"):  # every GitHub token prefix is listed
        assert other in _TOKEN_STARTS
