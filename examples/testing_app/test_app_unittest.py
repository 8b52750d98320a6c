"""Testing the example app with the ``unittest`` base class.

:class:`heron.test_utils.HeronTestCase` (also importable as ``AioHTTPTestCase``)
serves the application from ``get_application()`` for each test and gives it a
``self.client``. pytest collects it like any test case; ``python -m unittest`` from
this directory runs it too.
"""

import unittest

from app import NOTES, create_app

from heron.test_utils import HeronTestCase


class AppTestCase(HeronTestCase):
    async def get_application(self):
        return create_app()

    async def test_index(self):
        async with self.client.get("/") as resp:
            self.assertEqual(resp.status, 200)
            self.assertEqual(await resp.text(), "Hello, world")

    async def test_notes(self):
        resp = await self.client.post("/notes", json={"text": "from unittest"})
        self.assertEqual(resp.status, 201)
        self.assertEqual(self.app[NOTES], ["from unittest"])


if __name__ == "__main__":
    unittest.main()
