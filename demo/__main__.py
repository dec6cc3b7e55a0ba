"""`python -m demo`: the Socket.IO-capable development server used by `make run`."""

from __future__ import annotations

from demo import create_app, describe_mode
from demo.extensions import socketio
from demo.fundamentals.running import dev_server_address


def main() -> None:
    """Serve on HOST/PORT (default 127.0.0.1:5000, the same defaults as `flask run`)."""
    app = create_app()
    with app.app_context():
        for line in describe_mode(app):
            app.logger.info(line)
    host, port = dev_server_address()
    socketio.run(
        app, host=host, port=port, debug=app.debug, use_reloader=False, allow_unsafe_werkzeug=True
    )


if __name__ == "__main__":
    main()
