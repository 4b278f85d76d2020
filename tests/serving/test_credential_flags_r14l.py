"""Red team #14l break 2 (/work/wt/red14l-report.md): the credential-flag check (febc9d8) refused ordinary LLM flags
as credentials (``TOKEN`` found inside ``--max-num-batched-tokens``) and ``$(VAR)`` references to ``secretEnv``.
A flag or env name is a credential's when it ends with a credential word (components/credentials.py
``credential_name``; docs/configuration.md "Secrets and credentials")."""

from __future__ import annotations

from typing import Any

import pytest
from serving_support import model

from components.credentials import PLAIN_TEXT, arg_credential, credential_name, env_credential
from components.errors import SpecError
from components.serving.spec import ModelSpec

HINT = "a credential in args would be stored in plain text"


def _problem(spec: dict[str, Any]) -> str | None:
    try:
        ModelSpec.model_validate(spec)
    except SpecError as e:
        return str(e)
    return None


@pytest.mark.parametrize(
    "args",
    [
        # vLLM engine flags (k3-args.yaml) and KServe huggingfaceserver __main__.py's --tokenizer_revision
        ["--max-num-batched-tokens=8192", "--tokenizer", "Qwen/Qwen2.5-1.5B-Instruct"],
        ["--tokenizer-mode", "mistral"],
        ["--max-tokens", "100"],
        ["--tokenizer_revision=main"],
        ["--max-num-batched-tokens", "8192"],
        ["--token-file", "/var/run/token"],
        # Kubernetes' dependent variable: $(API_KEY) is replaced by the container's API_KEY (here from secretEnv)
        ["--api-key", "$(API_KEY)"],
        ["--api-key=$(API_KEY)"],
    ],
)
def test_ordinary_flags_and_variable_references_are_not_credentials(args: list[str]) -> None:
    # main (01fc987): "models...args.N: [plain text] is not allowed; a credential in args ..." for each
    spec = model(args=args, secretEnv={"API_KEY": {"secret": "server-keys", "key": "api"}})
    assert _problem(spec) is None
    assert not any(arg_credential(args, i) for i in range(len(args)))


@pytest.mark.parametrize(
    ("args", "index"),
    [
        (["--api-key", "sk-abc"], 1),
        (["--token", "X"], 1),
        (["--hf-token", "X"], 1),
        (["--password", "X"], 1),
        (["--password=X"], 0),
        (["--hf_token=X"], 0),
        (["--apiKey", "X"], 1),
        (["--x", "1", "--secret-key", "X"], 3),
    ],
)
def test_credentials_in_flags_are_still_refused(args: list[str], index: int) -> None:
    problem = _problem(model(args=args))
    assert problem is not None and f"args.{index}: {PLAIN_TEXT} is not allowed; {HINT}" in problem
    assert "X" not in problem.replace("XGBoost", "") and "sk-abc" not in problem


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("TOKENIZERS_PARALLELISM", False),  # Hugging Face tokenizers' own env; main refused it (TOKEN inside)
        ("MAX_NUM_BATCHED_TOKENS", False),
        ("PASSWORD_FILE", False),
        ("HF_TOKEN", True),
        ("HUGGING_FACE_HUB_TOKEN", True),
        ("DB_PASSWORD", True),
        ("DB_PASS", True),
        ("OPENAI_API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("CLIENT_SECRET", True),
        ("GOOGLE_APPLICATION_CREDENTIALS", True),
        ("clientSecret", True),
        ("hf-token", True),
    ],
)
def test_credential_names_are_whole_trailing_words(name: str, credential: bool) -> None:
    assert credential_name(name) is credential
    assert env_credential(name, "plain") is credential


def test_an_env_reference_to_another_variable_is_not_a_credential() -> None:
    assert not env_credential("API_KEY", "$(SERVER_API_KEY)")
    assert env_credential("API_KEY", "$(SERVER_API_KEY) x")
