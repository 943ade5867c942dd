"""Content documents: what a spell with `output_format = "content"` may write."""

from __future__ import annotations

from typing import Any

import pytest

from registry.content import content_problems

PNG = "iVBORw0KGgo="
GOOD: list[dict[str, Any]] = [
    {"content": [{"type": "text", "text": "hello"}]},
    {"content": [{"type": "image", "data": PNG, "mimeType": "image/png"}], "structured": {"n": 1}},
    {"content": [{"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"}]},
    {"content": [{"type": "resource", "resource": {"uri": "x://a", "mimeType": "text/plain", "text": "t"}}]},
    {
        "content": [
            {"type": "resource", "resource": {"uri": "x://b", "mimeType": "application/pdf", "blob": PNG}}
        ]
    },
]


@pytest.mark.parametrize("document", GOOD)
def test_well_formed_documents_pass(document: dict[str, Any]) -> None:
    assert content_problems(document) == []


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"message": "a bare value"}, "content"),
        ({"content": []}, "/content"),
        ({"content": [{"type": "video", "data": PNG, "mimeType": "video/mp4"}]}, "/content/0"),
        ({"content": [{"type": "image", "data": PNG, "mimeType": "audio/wav"}]}, "/content/0"),
        ({"content": [{"type": "image", "data": "not base64!", "mimeType": "image/png"}]}, "base64"),
        ({"content": [{"type": "text", "text": "x", "extra": 1}]}, "/content/0"),
        (
            {"content": [{"type": "resource", "resource": {"uri": "x://a", "mimeType": "text/plain"}}]},
            "/content/0",
        ),
        ({"content": [{"type": "text", "text": "x"}], "structured": [1, 2]}, "/structured"),
        ("just text", "(root)"),
    ],
)
def test_malformed_documents_are_named(document: Any, problem: str) -> None:
    problems = content_problems(document)
    assert problems and problem in problems[0]
