"""The demo data set (``sfa demo``, ``sfa serve --demo``): ``load`` tells the story,
``story`` is its machinery, ``examples`` the records the API document's examples name."""

from infra.demo.examples import DemoExamples
from infra.demo.load import SCALES, load_demo

__all__ = ["SCALES", "DemoExamples", "load_demo"]
