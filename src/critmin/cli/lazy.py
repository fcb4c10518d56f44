"""Command groups imported and built only when the command line looks them up.

Typer turns every registered sub-app into Click commands before it parses anything: for
``critmin data status`` it used to import every command module and build the parameters of all
the commands (evaluating each annotation), most of the start-up after the imports. Here the root
group holds its sub-apps as names of modules; a sub-app is imported and built (exactly as
``Typer.add_typer(module.app, name=...)`` would have it) the first time it is looked up: once for
the command that runs. ``critmin --help`` lists the groups from stand-ins built without their
commands (a group's line in the list is its name, help, panel and flags, nothing of its commands).
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

Command = Any
"""A Click command as Typer builds it (typer's bundled Click has no public type to name)."""


class LazyCommands(MutableMapping[str, Command]):
    """Commands by name, in order; a lazy entry is built on first access and then kept."""

    def __init__(
        self,
        built: Mapping[str, Command],
        builders: Mapping[str, Callable[[], Command]],
        listers: Mapping[str, Callable[[], Command]] | None = None,
    ) -> None:
        self._built: dict[str, Command] = dict(built)
        self._builders = {name: build for name, build in builders.items() if name not in self._built}
        self._listers = dict(listers or {})
        self._order = [*self._built, *self._builders]

    def for_listing(self) -> LazyCommands:
        """The same names, the ones not built yet as the stand-ins of ``listers`` (for help)."""
        listing = LazyCommands(self._built, {n: self._listers.get(n, b) for n, b in self._builders.items()})
        listing._order = list(self._order)
        return listing

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            build = self._builders.pop(name)  # KeyError for an unknown name, as a dict
            self._built[name] = build()
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        if name not in self._built and name not in self._builders:
            self._order.append(name)
        self._builders.pop(name, None)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self._built and name not in self._builders:
            raise KeyError(name)
        self._built.pop(name, None)
        self._builders.pop(name, None)
        self._order.remove(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._built or name in self._builders


def lazy_group(root: typer.Typer, modules: Mapping[str, str]) -> type[TyperGroup]:
    """A group class for ``root`` adding ``modules``' apps: set it as ``root.info.cls``.

    (It is set after ``root`` is made, since building a sub-app reads ``root``'s settings.)

    ``modules`` maps each sub-command name to the module whose ``app`` it runs, in the order
    they are listed after ``root``'s own commands. A sub-app is built with ``root``'s settings
    (exception display, markup mode, suggestions), as Typer builds the groups added to it.
    """

    def info(name: str, module: str, *, bare: bool) -> Any:
        """The group's TyperInfo as ``add_typer`` makes it; ``bare``: of a copy without commands."""
        sub = importlib.import_module(module).app
        if bare:
            sub = copy.copy(sub)
            sub.registered_commands = []
            sub.registered_groups = []
        holder = typer.Typer()
        holder.add_typer(sub, name=name)
        return holder.registered_groups[0]

    def builder(name: str, module: str, *, bare: bool = False) -> Callable[[], Command]:
        def build() -> Command:
            return typer.main.get_group_from_info(
                info(name, module, bare=bare),
                pretty_exceptions_short=root.pretty_exceptions_short,
                rich_markup_mode=root.rich_markup_mode,
                suggest_commands=root.suggest_commands,
            )

        return build

    class LazyGroup(TyperGroup):
        """The root group: its own commands built, the sub-apps of ``modules`` built when looked up."""

        def __init__(self, *, commands: Mapping[str, Command] | None = None, **attrs: Any) -> None:
            super().__init__(**attrs)
            self.commands = LazyCommands(
                commands or {},
                {name: builder(name, module) for name, module in modules.items()},
                {name: builder(name, module, bare=True) for name, module in modules.items()},
            )

        def list_commands(self, ctx: Any) -> list[str]:
            """The names in order, without building any command."""
            return list(self.commands)

        def format_help(self, ctx: Any, formatter: Any) -> None:
            """The help, listing the groups not built yet from their stand-ins."""
            commands = self.commands
            assert isinstance(commands, LazyCommands)
            self.commands = commands.for_listing()
            try:
                super().format_help(ctx, formatter)
            finally:
                self.commands = commands

    return LazyGroup
