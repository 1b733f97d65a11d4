"""`nnlint lsp` survives what a broken client sends: bytes that are not JSON, requests with wrong params,
methods it does not know. Spoken as raw JSON-RPC over the server's stdio, since a well-typed client
library cannot send malformed messages.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TIMEOUT = 15


class RawClient:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nnlint", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if line == b"" or length is None:
                return
            self.messages.put(json.loads(stream.read(length)))

    def send_bytes(self, body: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def send(self, method: str, params: Any, msg_id: int | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if msg_id is not None:
            message["id"] = msg_id
        self.send_bytes(json.dumps(message).encode())

    def wait_for(self, predicate: Any) -> dict[str, Any]:
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                pytest.fail("the server stopped answering")
            if predicate(message):
                return message

    def response(self, msg_id: int) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m)

    def initialize(self, capabilities: dict[str, Any]) -> dict[str, Any]:
        """The server's capabilities, once the session is initialized."""
        self.send("initialize", {"processId": None, "rootUri": None, "capabilities": capabilities}, msg_id=0)
        result = self.response(0)["result"]["capabilities"]
        self.send("initialized", {})
        return result

    def open(self, path: Path, text: str) -> list[dict[str, Any]]:
        """Open a document and wait for its diagnostics."""
        uri = path.as_uri()
        self.send(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )
        published = self.wait_for(
            lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
        )
        return published["params"]["diagnostics"]

    def shut_down(self) -> None:
        """End the session as a client should, and check that the server exits cleanly."""
        self.send("shutdown", None, msg_id=-1)
        assert self.response(-1)["result"] is None
        self.send("exit", None)
        assert self.process.wait(timeout=TIMEOUT) == 0


@pytest.fixture
def client() -> Iterator[RawClient]:
    client = RawClient()
    try:
        yield client
    finally:
        if client.process.poll() is None:
            client.process.kill()


def test_server_answers_after_garbage_bad_params_and_unknown_methods(
    client: RawClient, tmp_path: Path
) -> None:
    assert "hoverProvider" in client.initialize({})
    client.send_bytes(b"{this is not json")
    client.send("textDocument/hover", {"textDocument": 42}, msg_id=2)
    assert client.response(2)["error"]["code"] == -32602  # InvalidParams
    client.send("nnlint/noSuchMethod", {}, msg_id=3)
    assert client.response(3)["error"]["code"] == -32601  # MethodNotFound

    path = tmp_path / "still_served.py"
    [diagnostic] = client.open(path, "import torch\ndef broken(:\n")
    assert diagnostic["code"] == "NN000"
    position = diagnostic["range"]["start"]
    client.send("textDocument/hover", {"textDocument": {"uri": path.as_uri()}, "position": position}, 4)
    assert "NN000" in client.response(4)["result"]["contents"]["value"]
    client.shut_down()


def test_columns_count_the_position_encoding_the_client_chose(client: RawClient, tmp_path: Path) -> None:
    """A client may ask for UTF-8 columns (Helix and Neovim can): "é" is one code point but two bytes."""
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN204"]\n', encoding="utf-8")
    before = '    tag = "é"; '
    text = (
        "import torch\n"
        "model = torch.nn.Linear(2, 1)\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for x, y in loader:\n"
        "    loss = model(x).sum()\n"
        "    loss.backward()\n"
        f"{before}optimizer.zero_grad()\n"
        "    optimizer.step()\n"
    )
    capabilities = client.initialize({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
    assert capabilities["positionEncoding"] == "utf-8"
    [diagnostic] = client.open(tmp_path / "encoded.py", text)
    assert diagnostic["code"] == "NN204"
    assert diagnostic["range"]["start"] == {"line": 6, "character": len(before.encode("utf-8"))}
    client.shut_down()
