"""AI assist on Amazon Bedrock's Converse API (docs/ai.md): summaries written after a close or a transfer (the assist
function, fed by the domain consumer through the summary queue) and replies suggested to an agent on the desk.

Everything sent to the model is redacted first (`redact`), built by one module (`prompts`: fixed system prompts,
the transcript quoted as a document, no tools) and sent through one bounded client (`model`)."""
