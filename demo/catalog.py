"""The demo farms' catalogue: logins, printers, materials, spools, products and what they print.

Plain data, no database: the seed (demo/seed.py) turns it into tenants and a history,
and the benchmark (bench/dataset.py) draws its materials, spools and products from it.
"""

from dataclasses import dataclass
from decimal import Decimal

from inventory.models import TransactionType
from tenants.models import Role

DEMO_PASSWORD = "printfarm-demo"
STAFF_USERNAME = "staff"


@dataclass(frozen=True)
class Job:
    """A kind of bed load: products with quantity ranges, printed from one material kind."""

    items: tuple  # (sku, fewest, most)
    kind: str
    weight: int = 1  # how often the farm prints it
    colours: int = 1  # 2: a two-colour print, only on a printer with a multi-material unit


@dataclass(frozen=True)
class PrinterPlan:
    name: str
    model: str
    slicer: str
    grams_per_hour: float
    colours: int = 1
    slot_count: int = 1  # an AMS unit: 4


@dataclass(frozen=True)
class FloorPlan:
    """What the farm floor shows once the history is written: an idle printer with loaded slots to
    dispatch to (when `idle_printer` is given), and planned runs waiting in the queue."""

    idle_printer: PrinterPlan | None
    # (priority, hours until its planned start or None, how its line names its filament): "spool" a loaded
    # spool of the idle printer, "material" only the catalogue material, "over" more than the stock holds.
    queue: tuple


@dataclass(frozen=True)
class SpoolPlan:
    code: str
    material: str  # a key of TenantPlan.materials
    initial_g: int
    price: str
    supplier: str
    location: str
    bought_days_ago: int


@dataclass(frozen=True)
class ProductPlan:
    sku: str
    name: str
    unit_weight_g: str
    material_kind: str  # "" when any kind will do


@dataclass(frozen=True)
class TenantPlan:
    slug: str
    name: str
    prefix: str
    timezone: str
    logins: tuple  # (username, role); the first is the owner who buys the stock
    printers: tuple
    materials: dict  # key -> Material fields
    spools: tuple
    products: tuple
    jobs: tuple
    gap_hours: tuple  # idle time of a printer between two runs
    outcomes: tuple  # a deck of outcomes, reshuffled when used up: every status shows up
    adjustments: tuple = ()  # (days ago, type, fewest g, most g, reason)
    floor: FloorPlan = FloorPlan(idle_printer=None, queue=(("normal", None, "material"), ("low", None, "material")))


def filament(name, brand, kind, color_name, color_hex, density, notes=""):
    return {
        "name": name,
        "vendor_name": brand,  # the vendor of that name, created with its first material
        "kind": kind,
        "color_name": color_name,
        "color_hex": color_hex,
        "density_g_cm3": Decimal(density),
        "notes": notes,
    }


DEMO = TenantPlan(
    slug="demo",
    name="Demo Print Farm",
    prefix="DEMO",
    timezone="Europe/Berlin",
    logins=(
        ("demo-owner", Role.OWNER),
        ("demo-admin", Role.ADMIN),
        ("demo-member", Role.MEMBER),
        ("demo-viewer", Role.VIEWER),
        ("multi-tenant", Role.MEMBER),
    ),
    printers=(
        PrinterPlan("Prusa MK4 #1", "Original Prusa MK4S", "PrusaSlicer 2.8", grams_per_hour=14),
        PrinterPlan(
            "Bambu X1C", "Bambu Lab X1 Carbon + AMS", "Bambu Studio 1.10", grams_per_hour=22, colours=2, slot_count=4
        ),
    ),
    floor=FloorPlan(
        idle_printer=PrinterPlan(
            "Bambu P1S", "Bambu Lab P1S + AMS", "Bambu Studio 1.10", grams_per_hour=20, slot_count=4
        ),
        queue=(
            ("urgent", 2, "spool"),
            ("high", None, "material"),
            ("normal", 6, "spool"),
            ("normal", 30, "material"),
            ("normal", None, "over"),
            ("low", None, "material"),
        ),
    ),
    materials={
        "pla-white": filament("PLA Basic", "Bambu Lab", "PLA", "Jade White", "#FFFFFF", "1.24"),
        "pla-black": filament("PLA Basic", "Bambu Lab", "PLA", "Black", "#000000", "1.24"),
        "pla-galaxy": filament("Prusament PLA", "Prusa Polymers", "PLA", "Galaxy Black", "#2B2B2E", "1.24"),
        "pla-red": filament("Prusament PLA", "Prusa Polymers", "PLA", "Lipstick Red", "#C4112F", "1.24"),
        "pla-grey": filament("PLA Matte", "Bambu Lab", "PLA", "Ash Grey", "#9B9EA0", "1.22"),
        "petg-orange": filament("Prusament PETG", "Prusa Polymers", "PETG", "Prusa Orange", "#FA6831", "1.27"),
        "petg-blue": filament("PETG HF", "Bambu Lab", "PETG", "Blue", "#0A2CA5", "1.26"),
        "petg-black": filament("PolyLite PETG", "Polymaker", "PETG", "Black", "#1A1A1A", "1.25"),
        "tpu-black": filament("TPU 95A HF", "Bambu Lab", "TPU", "Black", "#101010", "1.22"),
        "asa-grey": filament(
            "PolyLite ASA", "Polymaker", "ASA", "Grey", "#8E9089", "1.07", "Being evaluated for outdoor brackets."
        ),
    },
    spools=(
        SpoolPlan("PLA-WHT-001", "pla-white", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 74),
        SpoolPlan("PLA-BLK-001", "pla-black", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 74),
        SpoolPlan("PLA-GBK-001", "pla-galaxy", 1000, "29.99", "Prusa Research", "Rack A2", 70),
        SpoolPlan("PLA-RED-001", "pla-red", 1000, "29.99", "Prusa Research", "Rack A2", 70),
        SpoolPlan("PLA-GRY-001", "pla-grey", 1000, "22.99", "Bambu Lab EU store", "Rack A3", 66),
        SpoolPlan("PETG-ORG-001", "petg-orange", 1000, "29.99", "Prusa Research", "Dry box 1", 70),
        SpoolPlan("PETG-BLU-001", "petg-blue", 1000, "21.99", "Bambu Lab EU store", "Dry box 1", 62),
        SpoolPlan("TPU-BLK-001", "tpu-black", 1000, "41.99", "Bambu Lab EU store", "Dry box 2", 62),
        SpoolPlan("PLA-WHT-002", "pla-white", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 38),
        SpoolPlan("PETG-BLK-001", "petg-black", 1000, "24.50", "Polymaker via Amazon", "Dry box 1", 27),
        SpoolPlan("PLA-BLK-002", "pla-black", 1000, "19.99", "Bambu Lab EU store", "Rack A1", 12),
        SpoolPlan("ASA-GRY-001", "asa-grey", 1000, "27.90", "Polymaker via Amazon", "Dry box 2", 3),
    ),
    products=(
        ProductPlan("AXO-01", "Axolotl (articulated)", "18.50", "PLA"),
        ProductPlan("DRG-02", "Crystal dragon", "64.00", ""),
        ProductPlan("VAS-03", "Spiral vase", "38.00", "PLA"),
        ProductPlan("PHS-04", "Phone stand", "42.00", ""),
        ProductPlan("KEY-05", "Keychain tag", "2.80", ""),
        ProductPlan("HOOK-06", "Cable hook", "6.20", "PETG"),
        ProductPlan("BRK-07", "Shelf bracket", "55.00", "PETG"),
        ProductPlan("PLN-08", "Self-watering planter", "120.00", "PETG"),
        ProductPlan("GSK-09", "Flexible gasket ring", "3.40", "TPU"),
    ),
    jobs=(
        Job((("AXO-01", 4, 9),), "PLA", weight=4),
        Job((("DRG-02", 1, 3),), "PLA", weight=2),
        Job((("VAS-03", 1, 3),), "PLA"),
        Job((("AXO-01", 2, 4), ("KEY-05", 10, 20), ("PHS-04", 1, 2)), "PLA", weight=2),
        Job((("PHS-04", 2, 4),), "PLA"),
        Job((("KEY-05", 20, 40),), "PLA", weight=2, colours=2),
        Job((("DRG-02", 1, 2),), "PLA", colours=2),
        Job((("HOOK-06", 15, 30),), "PETG", weight=2),
        Job((("BRK-07", 2, 4),), "PETG", weight=2),
        Job((("PLN-08", 1, 2),), "PETG"),
        Job((("GSK-09", 20, 50),), "TPU"),
    ),
    gap_hours=(24, 60),
    outcomes=("completed",) * 13 + ("failed",) * 3 + ("cancelled",) * 2,
    adjustments=(
        (41, TransactionType.COUNT, 4, 18, "Monthly stock count: weighed on the scale"),
        (23, TransactionType.WASTE, 25, 60, "Tangled strand cut off after a jam"),
        (9, TransactionType.COUNT, 3, 12, "Monthly stock count: weighed on the scale"),
    ),
)

MAKER_LAB = TenantPlan(
    slug="maker-lab",
    name="Maker Lab",
    prefix="LAB",
    timezone="America/Chicago",
    logins=(("lab-owner", Role.OWNER), ("multi-tenant", Role.ADMIN)),
    printers=(PrinterPlan("Voron 2.4", "Voron 2.4 R2 350", "OrcaSlicer 2.1", grams_per_hour=25),),
    materials={
        "pla-white": filament("PLA+", "eSun", "PLA", "Cool White", "#F4F4F4", "1.23"),
        "pla-green": filament("PolyTerra PLA", "Polymaker", "PLA", "Forest Green", "#2E6B3A", "1.31"),
    },
    spools=(
        SpoolPlan("PLA-WHT-001", "pla-white", 1000, "17.99", "eSun via Amazon", "Shelf 1", 65),
        SpoolPlan("PLA-GRN-001", "pla-green", 1000, "19.99", "Polymaker via Amazon", "Shelf 1", 65),
        SpoolPlan("PLA-WHT-002", "pla-white", 1000, "17.99", "eSun via Amazon", "Shelf 1", 20),
    ),
    products=(
        ProductPlan("TOK-01", "Board game token set", "4.10", "PLA"),
        ProductPlan("CLIP-02", "Bag clip", "7.80", ""),
        ProductPlan("LAMP-03", "Lamp shade", "95.00", "PLA"),
    ),
    jobs=(
        Job((("TOK-01", 20, 40),), "PLA", weight=2),
        Job((("CLIP-02", 10, 20),), "PLA"),
        Job((("LAMP-03", 1, 2),), "PLA"),
    ),
    gap_hours=(90, 130),
    outcomes=("completed",) * 5 + ("failed", "cancelled"),
)

PLANS = (DEMO, MAKER_LAB)

TEMPERATURES = {"PLA": (60, 215), "PETG": (80, 240), "TPU": (40, 225), "ASA": (100, 260)}  # (bed, nozzle) °C
FAILURES = {  # reason: (note, share of the print done when it failed)
    "adhesion": ("First layer lifted at a corner; bed needs a wash.", (0.02, 0.08)),
    "spaghetti": ("A part was knocked loose mid-print: spaghetti.", (0.2, 0.7)),
    "nozzle_clog": ("Under-extrusion, then nothing: partial clog in the hotend.", (0.3, 0.8)),
    "layer_shift": ("Layer shift at about half height; belt tension checked.", (0.3, 0.7)),
    "warping": ("Corners warped off the bed on the large parts.", (0.1, 0.4)),
    "power_loss": ("Power cut in the workshop; the print could not resume.", (0.2, 0.9)),
}
QUALITY_NOTES = {
    3: ("Visible stringing between the parts.", "Z-seam blobs on the curved side."),
    4: ("Slight elephant foot, trimmed.", "A little stringing, cleaned with a heat gun."),
    5: ("",),
}
CANCEL_NOTES = (
    "Order cancelled by the customer.",
    "Replanned on the other printer.",
    "Wrong colour loaded; cancelled before the first layer.",
)
