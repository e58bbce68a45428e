"""The message catalogues are compiled (.po -> .mo) whenever the package is built or installed,
editable installs included; everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).parent / "src" / "communs" / "locale"


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as compiled:
                write_mo(compiled, catalogue)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
