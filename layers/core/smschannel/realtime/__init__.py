"""Agents and supervisors on the WebSocket API: connections, actions, the stream fan-out and the dashboard."""
