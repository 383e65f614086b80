"""Suggested replies (`suggestReplies` → `replies.suggested`, docs/ai.md "Suggested replies").

The realtime function asks the model itself, bounded at ~10 s (smschannel.assist.model), and answers the acting
connection only; nothing is stored and nothing is sent: a suggestion only fills the agent's reply box. At most
MAX_SUGGESTIONS, each cut at a word to MAX_SEGMENTS SMS segments (smschannel.segments), deduplicated.
"""

from __future__ import annotations

import re
from typing import Any

from smschannel.assist.model import ConverseModel, ModelUnavailable
from smschannel.assist.prompts import EXAMPLES, suggestions_request
from smschannel.canned_replies import CannedReplies
from smschannel.errors import AiDisabled
from smschannel.models import Direction, Interaction
from smschannel.segments import measure
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.interactions import InteractionStore

MAX_SUGGESTIONS = 3
MAX_SEGMENTS = 2
_LEAD = re.compile(r"^\s*(?:[-*•]+|\(?\d{1,2}[.):]|reply\s*\d*\s*:)\s*", re.IGNORECASE)
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and angle quotes


def fit_segments(text: str, segments: int = MAX_SEGMENTS) -> str:
    """`text` if it fits in `segments` SMS segments, else cut at the last word that fits (never mid-word unless one
    word alone is too long)."""
    if measure(text).segments <= segments:
        return text
    words = text.split(" ")
    kept = ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if measure(candidate + "…").segments > segments:
            break
        kept = candidate
    if not kept:  # one word longer than the bound: cut it by characters
        kept = text
        while kept and measure(kept + "…").segments > segments:
            kept = kept[:-1]
    return kept.rstrip(" ,;:") + "…"


def parse_suggestions(answer: str) -> list[str]:
    """The model's lines as replies: bullets, numbering and wrapping quotes dropped, empty and repeated ones left out,
    each fitted to MAX_SEGMENTS, at most MAX_SUGGESTIONS."""
    found: list[str] = []
    for line in answer.splitlines():
        text = _LEAD.sub("", line).strip()
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
            text = text[1:-1].strip()
        if not text:
            continue
        text = fit_segments(text)
        if text.lower() not in (each.lower() for each in found):
            found.append(text)
        if len(found) == MAX_SUGGESTIONS:
            break
    return found


class SuggestionService:
    def __init__(
        self,
        configuration: ConfigurationStore,
        interactions: InteractionStore,
        canned: CannedReplies,
        model: ConverseModel,
        *,
        default_model_id: str,
        guardrail: tuple[str, str] | None = None,
    ) -> None:
        self.configuration = configuration
        self.interactions = interactions
        self.canned = canned
        self.model = model
        self.default_model_id = default_model_id
        self.guardrail = guardrail

    def suggest(self, interaction: Interaction, agent_id: str | None) -> dict[str, Any]:
        """The `replies.suggested` frame for the acting connection (AiDisabled when the account has them off);
        `status` is `unavailable`, with a reason and no suggestions, when the model gave none."""
        account = self.configuration.get_account(interaction.account_id)
        if account is None or not account.options.ai.suggestions:
            off = "suggested replies are off for this account (options.ai.suggestions)"
            raise AiDisabled(off, field="interactionId")
        model_id = account.options.ai.model_id or self.default_model_id
        frame: dict[str, Any] = {
            "type": "replies.suggested",
            "interactionId": interaction.id,
            "suggestions": [],
            "status": "ok",
            "modelId": model_id,
        }
        messages = [
            message
            for message in self.interactions.list_messages(interaction.id)
            if message.direction in (Direction.IN, Direction.OUT)
        ]
        if not any(message.direction == Direction.IN for message in messages):
            return {**frame, "status": "unavailable", "reason": "nothing_to_answer"}
        usable = self.canned.list(interaction.account_id, interaction.queue_id or "")
        examples = self.canned.fill_all(usable[:EXAMPLES], interaction, agent_id)
        request = suggestions_request(model_id, messages, examples, self.guardrail)
        try:
            answer = self.model.converse(request, "suggestions")
        except ModelUnavailable as unavailable:
            return {**frame, "status": "unavailable", "reason": unavailable.reason}
        suggestions = parse_suggestions(answer.text)
        if not suggestions:
            return {**frame, "status": "unavailable", "reason": "empty_answer"}
        return {
            **frame,
            "suggestions": suggestions,
            "inputTokens": answer.input_tokens,
            "outputTokens": answer.output_tokens,
        }
