"""Block Kit checks that fail a test where Slack would reject (or degrade) the payload.

slack_sdk's models are the base, but on their own they are lenient in ways that bite in
production: `validate_json()` is shallow, unknown block/element types parse to `None`,
unknown properties are silently dropped, and plain strings are accepted where Slack's raw
JSON API requires text objects. Each check here returns readable error strings naming the
offending block index so a failing test points straight at the bad block.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000
SECTION_TEXT_MAX = 3000
SECTION_FIELD_TEXT_MAX = 2000
SECTION_MAX_FIELDS = 10
HEADER_TEXT_MAX = 150
VIEW_TYPES = frozenset({"modal", "home"})
# Accepted by Slack on views.* but not (yet) part of slack_sdk's View attributes.
_EXTRA_VIEW_KEYS = frozenset({"submit_disabled"})
_TEXT_OBJECT_TYPES = frozenset({"plain_text", "mrkdwn"})


def block_errors(
    blocks: Any, *, max_blocks: int = MESSAGE_MAX_BLOCKS, where: str = "blocks"
) -> list[str]:
    """Every problem Slack would report for this list of blocks (empty list when valid)."""
    blocks = _maybe_json(blocks)
    if not isinstance(blocks, list):
        return [f"{where}: expected a list of blocks, got {type(blocks).__name__}"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"{where}: {len(blocks)} blocks exceeds Slack's limit of {max_blocks}")
    for index, block in enumerate(blocks):
        errors.extend(_single_block_errors(block, f"{where}[{index}]"))
    errors.extend(_duplicate_block_id_errors(blocks, where))
    return errors


def message_errors(params: dict[str, Any]) -> list[str]:
    """Problems with a chat.postMessage/postEphemeral/update or response_url payload."""
    errors: list[str] = []
    blocks = _maybe_json(params.get("blocks"))
    text = params.get("text")
    if blocks is not None:
        errors.extend(block_errors(blocks, max_blocks=MESSAGE_MAX_BLOCKS))
        if not (isinstance(text, str) and text.strip()):
            errors.append(
                "text: a message with blocks needs a non-empty `text` fallback "
                "(Slack uses it for notifications and screen readers)"
            )
    elif not text and not params.get("attachments"):
        errors.append("message has no text, blocks or attachments (Slack answers no_text)")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        errors.append(f"text: {len(text)} characters exceeds Slack's limit of {MESSAGE_TEXT_MAX}")
    return errors


def view_errors(view: Any) -> list[str]:
    """Problems with a view sent to views.open/update/push/publish."""
    view = _maybe_json(view)
    if not isinstance(view, dict):
        return [f"view: expected an object, got {type(view).__name__}"]
    errors = _view_shape_errors(view)
    if "blocks" not in view:
        errors.append("view.blocks: required")
    else:
        errors.extend(block_errors(view["blocks"], max_blocks=VIEW_MAX_BLOCKS, where="view.blocks"))
        errors.extend(_modal_submit_errors(view))
    errors.extend(_view_model_errors(view))
    return errors


def assert_valid_blocks(blocks: Any, *, max_blocks: int = MESSAGE_MAX_BLOCKS) -> None:
    """Fail the test with every reason Slack would reject these blocks."""
    _fail_on(block_errors(blocks, max_blocks=max_blocks))


def assert_valid_view(view: Any) -> None:
    """Fail the test with every reason Slack would reject this view."""
    _fail_on(view_errors(view))


def assert_valid_message(params: dict[str, Any]) -> None:
    """Fail the test with every reason this message payload is invalid or lacks a fallback."""
    _fail_on(message_errors(params))


def _fail_on(errors: list[str]) -> None:
    if errors:
        raise AssertionError("Invalid Block Kit payload:\n  " + "\n  ".join(errors))


def _maybe_json(value: Any) -> Any:
    """Form-encoded API calls carry blocks/views as JSON strings; decode them."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _single_block_errors(block: Any, label: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"{label}: expected an object, got {type(block).__name__}"]
    label = f"{label} ({block.get('type', 'no type')})"
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"{label}: unknown or missing block type {block.get('type')!r}"]
        parsed.validate_json()
        rendered = parsed.to_dict()  # to_dict() validates nested elements; validate_json() doesn't
    except Exception as exc:  # a model crash means Slack would reject the block too
        return [f"{label}: {type(exc).__name__}: {exc}"]
    errors = _round_trip_errors(block, rendered, label)
    errors.extend(_limit_errors(block, label))
    errors.extend(_empty_text_errors(block, label))
    errors.extend(_duplicate_action_id_errors(block, label))
    return errors


def _round_trip_errors(original: Any, rendered: Any, path: str) -> list[str]:
    """Find what the model dropped or rewrote: Slack rejects those raw payloads."""
    if isinstance(original, str) and isinstance(rendered, dict):
        return [f"{path}: must be a text object like {{'type': 'plain_text', 'text': ...}}"]
    if isinstance(original, dict) and isinstance(rendered, dict):
        return _dict_round_trip_errors(original, rendered, path)
    if isinstance(original, list) and isinstance(rendered, list):
        errors: list[str] = []
        for index, (item, out) in enumerate(zip(original, rendered, strict=False)):
            if out is None:
                kind = item.get("type") if isinstance(item, dict) else item
                errors.append(f"{path}[{index}]: unknown or invalid element type {kind!r}")
            else:
                errors.extend(_round_trip_errors(item, out, f"{path}[{index}]"))
        return errors
    return []


def _dict_round_trip_errors(original: dict, rendered: dict, path: str) -> list[str]:
    errors: list[str] = []
    for key, value in original.items():
        if key in rendered:
            errors.extend(_round_trip_errors(value, rendered[key], f"{path}.{key}"))
        elif value == []:
            errors.append(f"{path}.{key}: must not be an empty array")
        elif value not in (None, ""):
            errors.append(f"{path}.{key}: unknown property for this type (Slack rejects it)")
    return errors


def _limit_errors(block: dict, label: str) -> list[str]:
    """Limits checked on the raw dict so they hold whatever the model version enforces."""
    errors: list[str] = []
    if block.get("type") == "section":
        errors.extend(_text_length_error(block.get("text"), SECTION_TEXT_MAX, f"{label}.text"))
        fields = block.get("fields") or []
        if len(fields) > SECTION_MAX_FIELDS:
            errors.append(f"{label}.fields: {len(fields)} fields exceeds {SECTION_MAX_FIELDS}")
        for index, item in enumerate(fields):
            where = f"{label}.fields[{index}]"
            errors.extend(_text_length_error(item, SECTION_FIELD_TEXT_MAX, where))
    if block.get("type") == "header":
        text = block.get("text")
        errors.extend(_text_length_error(text, HEADER_TEXT_MAX, f"{label}.text"))
        if isinstance(text, dict) and text.get("type") != "plain_text":
            errors.append(f"{label}.text: a header's text must be plain_text")
    return errors


def _text_length_error(text: Any, limit: int, where: str) -> list[str]:
    value = text.get("text") if isinstance(text, dict) else text
    if isinstance(value, str) and len(value) > limit:
        return [f"{where}: {len(value)} characters exceeds Slack's limit of {limit}"]
    return []


def _empty_text_errors(block: dict, label: str) -> list[str]:
    """Slack rejects text objects with empty text; an empty DB field renders exactly that."""
    return [
        f"{label}{path}: text object must not be empty"
        for path, node in _walk(block, "")
        if node.get("type") in _TEXT_OBJECT_TYPES and node.get("text") == ""
    ]


def _duplicate_action_id_errors(block: dict, label: str) -> list[str]:
    seen: set[str] = set()
    errors: list[str] = []
    for _, node in _walk(block, ""):
        action_id = node.get("action_id")
        if isinstance(action_id, str):
            if action_id in seen:
                errors.append(f"{label}: duplicate action_id {action_id!r} in the same block")
            seen.add(action_id)
    return errors


def _duplicate_block_id_errors(blocks: list, where: str) -> list[str]:
    seen: set[str] = set()
    errors: list[str] = []
    for index, block in enumerate(blocks):
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if block_id is None:
            continue
        if block_id in seen:
            errors.append(f"{where}[{index}]: duplicate block_id {block_id!r}")
        seen.add(block_id)
    return errors


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict]]:
    """Yield every nested dict with its dotted path."""
    if isinstance(node, dict):
        yield path or ".", node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _view_shape_errors(view: dict) -> list[str]:
    errors: list[str] = []
    if view.get("type") not in VIEW_TYPES:
        errors.append(f"view.type: must be one of {sorted(VIEW_TYPES)}, got {view.get('type')!r}")
    if view.get("type") == "modal" and "title" not in view:
        errors.append("view.title: required for modals")
    for key in ("title", "close", "submit"):
        value = view.get(key)
        if value is not None and not (
            isinstance(value, dict) and value.get("type") == "plain_text"
        ):
            errors.append(f"view.{key}: must be a plain_text object")
    allowed = set(View(type="modal").attributes) | _EXTRA_VIEW_KEYS
    unknown = sorted(set(view) - allowed)
    if unknown:
        errors.append(f"view: unknown properties {unknown} (Slack rejects them)")
    return errors


def _modal_submit_errors(view: dict) -> list[str]:
    blocks = _maybe_json(view.get("blocks"))
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if view.get("type") == "modal" and has_input and "submit" not in view:
        return ["view.submit: a modal with input blocks needs a submit button"]
    return []


def _view_model_errors(view: dict) -> list[str]:
    """Run slack_sdk's View validators (title/submit/close lengths, metadata, home rules)."""
    try:
        model = View(**{key: value for key, value in view.items() if key != "blocks"})
        model.blocks = None  # counted by block_errors; the model would reject an empty list
        model.validate_json()
    except Exception as exc:  # a model crash means Slack would reject the view too
        return [f"view: {type(exc).__name__}: {exc}"]
    blocks = _maybe_json(view.get("blocks"))
    if isinstance(blocks, list) and not blocks:
        return ["view.blocks: a view needs at least one block"]
    return []
