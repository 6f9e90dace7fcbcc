"""What pyproject.toml cannot say: the browser extension ships inside the wheel as the data
package `redactor.extension_files`, read from the repository's `extension/` (the one copy in git).
Which of its files ship: [tool.setuptools.package-data] in pyproject.toml."""

from setuptools import find_packages, setup

EXTENSION = ["redactor.extension_files", "redactor.extension_files.icons"]

setup(
    packages=[*find_packages(include=["redactor*"]), *EXTENSION],
    package_dir={"redactor.extension_files": "extension"},
)
