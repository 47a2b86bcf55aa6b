"""The farm floor in the browsable API (core/api/tables.py, core/api/browsable.py): the queue as a table
with ready and short marks, a printer's page with its slots and a dispatch button, and a slot loaded by
scanning or typing a spool's code. Mixins of the floor's views: presentation only, the views stay thin."""

from django.urls import reverse
from rest_framework.response import Response

from core.api import tables
from core.api.browsable import action_links, post_refusal
from production.serializers import PrinterSerializer


def absolute(request, name, *args, query=""):
    return request.build_absolute_uri(reverse(name, args=args) + (f"?{query}" if query else ""))


def line_text(line):
    """A run's material line as the queue names it: its spool (or material), estimate and shortage."""
    what = line.get("spool_code") or " ".join(filter(None, [line.get("material_name"), line.get("color_name")]))
    text = f"{what}: {line.get('estimated_total_g')} g"
    shortage = line.get("shortage_g")
    if shortage not in (None, "0.00"):
        text += f", short {shortage} g"
    return text


class QueuePagesMixin:
    """`queue/`: the planned runs in dispatch order, each with its lines and whether it can start now."""

    def html_table(self, data):
        rows = tables.results_of(data) if getattr(self, "action", None) == "list" else None
        if rows is None:
            return None
        request = self.request
        # Starting a run takes what writing on the queue takes: members and up.
        may_start = post_refusal(self, request, "start") is None
        body = []
        for position, row in enumerate(rows, start=1):
            short = [line for line in row.get("materials", ()) if line.get("shortage_g") not in (None, "0.00")]
            ready = (
                tables.Cell("ready", css="positive") if row.get("ready") else tables.Cell("not ready", css="negative")
            )
            if short:
                ready = tables.Cell(f"short on {len(short)} line{'s' if len(short) > 1 else ''}", css="negative")
            body.append(
                [
                    tables.text(position),
                    tables.link(row["run_number"], absolute(request, "production-run-detail", row["id"])),
                    tables.text(row.get("priority")),
                    tables.when(row.get("planned_start")),
                    tables.link(row["printer_name"], absolute(request, "printer-detail", row["printer"]))
                    if row.get("printer")
                    else tables.text("any"),
                    tables.text(row.get("items_summary")),
                    tables.text("; ".join(line_text(line) for line in row.get("materials", ()))),
                    ready,
                    tables.link("Start...", absolute(request, "production-run-start", row["id"]))
                    if may_start
                    else tables.text(""),
                ]
            )
        headers = ["#", "Run", "Priority", "Planned start", "Printer", "Items", "Material lines", "Ready", ""]
        return tables.Table(headers, body, empty="No run is planned.")

    def page_links(self, data):
        return [
            ("Printers (load slots, dispatch)", absolute(self.request, "printer-list")),
            ("All runs", absolute(self.request, "production-run-list")),
        ]


class PrinterPagesMixin:
    """`printers/`: a table of printers; a printer's page links its slots, its queue and the dispatch button."""

    # The dispatch page's confirmation, above its POST button.
    dispatch_confirmation = (
        "Dispatch to {printer}? The first queued run whose spools are loaded here starts on it now. Press POST "
        "below to confirm."
    )

    def html_table(self, data):
        rows = tables.results_of(data) if getattr(self, "action", None) == "list" else None
        if rows is None:
            return None
        request = self.request
        body = [
            [
                tables.link(row["name"], absolute(request, "printer-detail", row["id"])),
                tables.text(row.get("model")),
                tables.Cell(row.get("state", ""), css="positive" if row.get("state") == "idle" else ""),
                tables.link("its run", absolute(request, "production-run-detail", row["current_run"]))
                if row.get("current_run")
                else tables.text(""),
                tables.link(f"{row.get('slot_count')} slots", absolute(request, "printer-slot-list", row["id"])),
                tables.yes_no(row.get("is_active")),
            ]
            for row in rows
        ]
        return tables.Table(["Printer", "Model", "State", "Printing", "Slots", "Active"], body, empty="No printer.")

    def page_links(self, data):
        if not isinstance(data, dict):
            return []
        request = self.request
        if "run_number" in data and "status" in data:  # the answer of a dispatch: the run it started
            return [(f"Run {data['run_number']} (started)", absolute(request, "production-run-detail", data["id"]))]
        if not (self.detail and "slot_count" in data):
            return []
        printer_id = data["id"]
        links = [
            ("Slots (load a spool)", absolute(request, "printer-slot-list", printer_id)),
            ("Queue for this printer", absolute(request, "queue-list", query=f"printer={printer_id}")),
        ]
        links += [
            (label, request.build_absolute_uri(url))
            for label, url in action_links(
                self, request, [("Dispatch...", reverse("printer-dispatch-queue", args=[printer_id]), "dispatch_queue")]
            )
        ]
        if data.get("current_run"):
            links.append(("Its run now", absolute(request, "production-run-detail", data["current_run"])))
        links.append(("Runs on it", absolute(request, "production-run-list", query=f"printer={printer_id}")))
        return links

    def action_page(self, request, action, *args, **kwargs):
        """The dispatch page: the printer as its page shows it, and the confirmation above the POST button."""
        printer = self.get_object()
        if self.action_refusal is None:
            self.confirmation = self.dispatch_confirmation.format(printer=printer.name)
        return Response(PrinterSerializer(printer, context=self.get_serializer_context()).data)


class SlotPagesMixin:
    """`printers/{printer_id}/slots/`: the slots as a table, each with a field to scan or type a spool's code
    into (a PUT of `{"spool": code}`, sent by DRF's own form script; empty unloads the slot)."""

    def get_serializer(self, *args, **kwargs):
        # The browsable API builds a slot page's PUT form from the answer's instance, a slot entry (a dict,
        # not a row): the form starts empty instead (a code to type or scan).
        if isinstance(kwargs.get("instance"), dict):
            kwargs["instance"] = None
        return super().get_serializer(*args, **kwargs)

    def html_table(self, data):
        if getattr(self, "action", None) != "list" or not isinstance(data, list):
            return None
        request = self.request
        may_load = post_refusal(self, request, "update") is None
        body = []
        for entry in data:
            spool = entry.get("spool")
            url = absolute(request, "printer-slot-detail", self.printer.pk, entry["slot"])
            cells = [
                tables.text(entry["slot"]),
                tables.link(spool["code"], absolute(request, "spool-detail", spool["id"]))
                if spool
                else tables.text("empty"),
                tables.swatch(spool["color_hex"], f"{spool['material_name']} ({spool['material_kind']})")
                if spool
                else tables.text(""),
                tables.grams(spool["current_weight_g"]) if spool else tables.text(""),
                tables.grams(spool["available_g"]) if spool else tables.text(""),
                tables.when(entry.get("loaded_at")),
                tables.text(entry.get("loaded_by") or ""),
            ]
            if may_load:
                cells.append(
                    tables.Cell(
                        form_url=url,
                        form_field="spool",
                        form_placeholder="Scan or type a spool code (empty: unload)",
                        form_button="Load",
                        form_label=f"Spool for slot {entry['slot']}",
                    )
                )
            body.append(cells)
        headers = ["Slot", "Spool", "Material", "Holds", "Free", "Loaded", "By"] + (["Load"] if may_load else [])
        return tables.Table(headers, body)

    def page_links(self, data):
        request = self.request
        printer = self.printer
        links = [
            (f"Printer {printer.name}", absolute(request, "printer-detail", printer.pk)),
            ("All slots", absolute(request, "printer-slot-list", printer.pk)),
            ("Queue for this printer", absolute(request, "queue-list", query=f"printer={printer.pk}")),
        ]
        return links
