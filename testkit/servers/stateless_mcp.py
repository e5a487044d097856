"""A tiny MCP server written with the official Python SDK (`mcp` on PyPI), for the edge's
third-party tests: stateless (no session id) and answering every POST with one JSON object.

Usage: python stateless_mcp.py PORT; the endpoint is http://127.0.0.1:PORT/mcp, ready once
uvicorn prints "Uvicorn running on".
"""

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("pchat-python-stateless")


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@server.tool()
def shout(text: str) -> str:
    """Returns the text in capitals."""
    return text.upper()


@server.prompt()
def summarize(topic: str) -> str:
    """Asks for a summary of a topic."""
    return f"Summarize {topic} in three sentences."


if __name__ == "__main__":
    port = int(sys.argv[1])
    server.run(
        transport="streamable-http",
        host="127.0.0.1",
        port=port,
        json_response=True,
        stateless_http=True,
    )
