"""The main screen: status header, the seven panels, footer.

At 160x50 (and anything from 140x40 up) the panels share a grid; from 110 columns
(120x36) the active panel and its companion stand side by side; below that one
panel fills the body. A tab strip (also Tab / 1-7 / click) switches panels,
k9s-style.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs

from tui.widgets.alerts_panel import AlertsPanel
from tui.widgets.base import Panel
from tui.widgets.disk_panel import DiskPanel
from tui.widgets.header import StatusHeader
from tui.widgets.health_panel import HealthPanel
from tui.widgets.history_panel import HistoryPanel
from tui.widgets.logs_panel import LogsPanel
from tui.widgets.permissions_panel import PermissionsPanel
from tui.widgets.snapshots_panel import SnapshotsPanel

PANEL_CLASSES: tuple[type[Panel], ...] = (
    HealthPanel,
    AlertsPanel,
    SnapshotsPanel,
    PermissionsPanel,
    DiskPanel,
    HistoryPanel,
    LogsPanel,
)
SHORT_TITLES: dict[str, str] = {
    "health": "Health",
    "alerts": "Files",
    "snapshots": "Snapshots",
    "permissions": "Perms",
    "disk": "Disk",
    "history": "History",
    "logs": "Logs",
}


#: The panel shown beside the active one where two fit (120x36): what the operator looks at
#: next (a finding's file, its writer's log, the disk behind the snapshots...).
COMPANIONS: dict[str, str] = {
    "health": "logs",
    "alerts": "health",
    "snapshots": "disk",
    "permissions": "health",
    "disk": "snapshots",
    "history": "logs",
    "logs": "health",
}


class PanelTabs(Tabs):
    """The narrow layout's tab strip; not in the focus chain (Tab switches panels instead)."""

    can_focus = False


class DashboardScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (110, "-medium"),
        (140, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]

    def __init__(self, root_label: str, host: str, *, show_timings: bool = True) -> None:
        super().__init__(id="dashboard")
        self.root_label = root_label
        self.host = host
        self.show_timings = show_timings

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.root_label, self.host, show_timings=self.show_timings)
        yield PanelTabs(
            *[
                Tab(f"{cls.NUMBER} {SHORT_TITLES[cls.PANEL_ID]}", id=f"tab-{cls.PANEL_ID}")
                for cls in PANEL_CLASSES
            ],
            id="panel-tabs",
        )
        with Container(id="panels"):
            for cls in PANEL_CLASSES:
                yield cls()
        yield Footer()

    @property
    def panels(self) -> list[Panel]:
        return list(self.query(Panel))

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id is None:
            return
        panel_id = event.tab.id.removeprefix("tab-")
        active = self.query(".panel.-active")
        if not active or active.first().id != panel_id:
            self.show_panel(panel_id)

    def show_panel(self, panel_id: str, *, focus: bool = True) -> None:
        companion = COMPANIONS.get(panel_id)
        for panel in self.panels:
            panel.set_class(panel.id == panel_id, "-active")
            panel.set_class(panel.id == companion, "-companion")
        tabs = self.query_one(PanelTabs)
        if tabs.active != f"tab-{panel_id}":
            tabs.active = f"tab-{panel_id}"
        if focus:
            target = self.query_one(f"#{panel_id}", Panel).focus_target()
            target.focus(scroll_visible=False)

    def active_panel(self) -> Panel:
        found = self.query(".panel.-active")
        return found.first(Panel) if found else self.panels[0]

    def step_panel(self, step: int) -> None:
        panels = self.panels
        index = panels.index(self.active_panel())
        self.show_panel(str(panels[(index + step) % len(panels)].id))

    def on_descendant_focus(self, _event: object) -> None:
        """Clicking into a panel (wide layout) makes it the active one."""
        focused = self.focused
        if focused is None or self.active_panel().has_class("-empty"):
            return  # Textual moved focus off the hidden list of an empty panel: not a click
        for panel in self.panels:
            if focused is panel or panel in focused.ancestors:
                if not panel.has_class("-active"):
                    self.show_panel(str(panel.id), focus=False)
                break
