"""Which packages the wheel holds; everything else about the build is in pyproject.toml.

The code packages are found as usual. The assets folder is mapped onto the package
``crossroads_assets`` (its files are package data, listed in pyproject.toml), so an installed
Crossroads reads its story, fonts, images, sounds and translations through
``importlib.resources`` without the repository.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(include=["server*", "handoff*", "ethics*", "game*"]),
        "crossroads_assets",
        *(f"crossroads_assets.{name}" for name in find_namespace_packages(where="assets")),
    ],
    package_dir={"crossroads_assets": "assets"},
)
