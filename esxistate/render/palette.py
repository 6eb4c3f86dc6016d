"""Every colour the renderers use, once, named for what it means: the diagrams, the moving scenes, the offline lesson
file, the widgets and their stills.

Lightness and line style carry the meaning, hue only helps, so a greyscale print still tells a tardisk from a
ramdisk and the serving layer from a hidden copy. Every value is 6-digit hex: graphviz 2.43 (Debian's `dot`) draws
3-digit hex black, and one spelling keeps a colour easy to find.

    >>> from esxistate.render import palette
    >>> palette.TARDISK, palette.RAMDISK, palette.BRANCHED_FILE == palette.BRANCH
    ('#dbe7f3', '#f8d29a', True)
    >>> all(len(value) == 7 for value in palette.COLOURS.values())
    True
"""

from __future__ import annotations

import re

__all__ = [
    "ALTBOOTBANK",
    "ARCHIVE",
    "AXIS",
    "BANK_EMPTY",
    "BANK_TOKEN",
    "BOOTBANK",
    "BRANCH",
    "BRANCHED_FILE",
    "BUTTON",
    "BUTTON_LINE",
    "BUTTON_TEXT",
    "COLOURS",
    "COMMIT",
    "CONSOLE",
    "CONSOLE_TEXT",
    "CRON_MINUTE",
    "DARK",
    "DARK_TEXT",
    "DELETED",
    "DELETED_FILL",
    "DIRTY",
    "FIELD",
    "FIELD_LINE",
    "FOLDED",
    "HIDDEN",
    "HIDDEN_LINE",
    "INK",
    "INVALID",
    "KERNEL",
    "LANE",
    "LEGEND_LINE",
    "LIGHTS_ON",
    "LOST",
    "LOST_FILL",
    "MESSAGE_ERROR",
    "MESSAGE_INFO",
    "MESSAGE_WHY",
    "MUTED",
    "PAGE",
    "PAGE_BAR",
    "PAGE_HEADER",
    "PAGE_KEY_LINE",
    "PAGE_LINE",
    "PAGE_TEXT",
    "PAPER",
    "PLACEHOLDER",
    "PRIMARY",
    "PRIMARY_LINE",
    "RAMDISK",
    "RAMDISK_HEAD",
    "RAMDISK_LINE",
    "SAVED",
    "SAVED_FILL",
    "SCENE_LINE",
    "SCENE_NOTE",
    "SCENE_TEXT",
    "SERVES",
    "SERVES_TEXT",
    "STILL_FRAME",
    "STILL_NOTE_TEXT",
    "TARDISK",
    "TARDISK_LINE",
    "TRACK",
    "TWIN",
    "TWIN_LINE",
    "UPGRADING",
    "VALID",
    "WHY_TEXT",
]

# -- ink and paper --------------------------------------------------------------------------------------------------
INK = "#222222"  # text and lines of a diagram
MUTED = "#6e6e6e"  # secondary text, the arrows not taken
PAPER = "#ffffff"  # the page a diagram is drawn on, and a plain box on it
LEGEND_LINE = "#bbbbbb"  # the frame of a legend

# -- VisorFS: the layers of the root file system ----------------------------------------------------------------------
TARDISK = "#dbe7f3"  # light blue: a read-only tardisk
TARDISK_LINE = "#4a6a8a"
SERVES = "#1f4e79"  # dark blue, white text: the layer that serves the path
SERVES_TEXT = PAPER
HIDDEN = "#f5f5f5"  # lightest grey, dashed, grey text: a copy that a higher layer hides
HIDDEN_LINE = "#9e9e9e"
FOLDED = PAPER  # white, dotted: tardisks folded into one node
RAMDISK = "#f8d29a"  # amber, a shade darker than a tardisk: memory-only ramdisks
RAMDISK_HEAD = "#eeb461"
RAMDISK_LINE = "#9a6a1c"
BRANCH = "#c55a11"  # dark orange, thick: a branch (copy-on-write) arrow, and what is happening now in a scene
BRANCHED_FILE = BRANCH  # the ramdisk copy a write branched off a tardisk
DELETED = "#a50021"  # dark red text and border: deleted (whiteout)
DELETED_FILL = "#f9dde2"
TWIN = "#fff6d5"  # pale yellow note: the .# twin
TWIN_LINE = "#b59b2a"
KERNEL = "#c8c8c8"  # mid grey: VMkernel-side modules (loaded into memory, never files)

# -- the boot banks and what backup.sh writes into them ----------------------------------------------------------------
BOOTBANK = "#e3e3e3"  # a boot bank partition (/bootbank)
ALTBOOTBANK = BOOTBANK  # the other bank is the same kind of partition: its role, not its colour, differs
ARCHIVE = "#e8f0dc"  # pale green: archives written by backup.sh
COMMIT = "#385723"  # dark green, white text: the rename that commits a backup
VALID = "#d9ead3"  # bootstate=0, filled
UPGRADING = "#fce5cd"  # bootstate=1, dashed
DIRTY = "#f4cccc"  # bootstate=2, dotted
INVALID = "#d0d0d0"  # bootstate=3, diagonals
BANK_EMPTY = PAPER  # a bank with no boot.cfg (bootstate undefined)

# -- lost and saved: what a reboot or a power cut does to a change ----------------------------------------------------
LOST = DELETED  # a change the next boot does not bring back
LOST_FILL = DELETED_FILL  # the verdict that explains a loss
SAVED = COMMIT  # a change state.tgz holds, so the next boot restores it
SAVED_FILL = ARCHIVE  # the verdict "it was saved"

# -- the moving scenes (motion) ---------------------------------------------------------------------------------------
SCENE_TEXT = "#1b1b1b"  # the words of a scene, and of the lesson page
SCENE_NOTE = "#444444"  # what a box is ("read-only, decompressed in memory")
SCENE_LINE = "#555555"  # arrows, state circles and notes not in focus
BANK_TOKEN = INK  # the outline of a bank's token on its bootstate
AXIS = "#333333"  # the clock strip's time axis
CRON_MINUTE = "#88aaaa"  # the dotted line at minute 1 of every hour
LANE = "#dddddd"  # a lane of the clock strip
LIGHTS_ON = "#fdf6e3"  # memory, before the power cut
DARK = "#101418"  # memory, after it
DARK_TEXT = "#8a8f96"

# -- the offline lesson page (html) ------------------------------------------------------------------------------------
PAGE = "#f6f6f4"  # the page behind the frames
PAGE_TEXT = SCENE_TEXT
PAGE_HEADER = "#223333"  # the title bar, white text
PAGE_BAR = "#e8e8e4"  # the controls bar
PAGE_LINE = "#cccccc"  # the frame of a diagram or a listing
PAGE_KEY_LINE = "#999999"  # the frame of a <kbd> key
WHY_TEXT = AXIS  # the "why" line of a caption

# -- the widgets and their stills --------------------------------------------------------------------------------------
MESSAGE_INFO = "#1a4d2e"  # a widget's report, and "Correct."
MESSAGE_ERROR = "#8a1c1c"  # an error, and "Not quite."
MESSAGE_WHY = "#3b3b3b"  # what an exercise expects
CONSOLE = "#111111"  # the Shell widget's screen
CONSOLE_TEXT = LANE
FIELD = "#f7f7f7"  # a text box in a still
FIELD_LINE = "#a0a0a0"
BUTTON = "#e9e9e9"
BUTTON_LINE = FIELD_LINE
BUTTON_TEXT = SCENE_LINE
PRIMARY = "#2f7fc1"  # a primary button, a progress bar, a slider's filled part
PRIMARY_LINE = "#1976d2"
PLACEHOLDER = "#888888"  # an empty field's placeholder
TRACK = "#eeeeee"  # a slider's empty part
STILL_FRAME = "#b0b0b0"  # the dashed frame around a still
STILL_NOTE_TEXT = "#666666"  # "A still of the live widget ..."

_HEX = re.compile(r"#[0-9a-f]{6}")

COLOURS: dict[str, str] = {
    name: value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str)
}
"""name -> value for every colour above (tests check that the renderers use no other)."""

assert all(_HEX.fullmatch(value) for value in COLOURS.values()), "palette colours are 6-digit lowercase hex"
