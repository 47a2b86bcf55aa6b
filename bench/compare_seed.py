"""Seed a served project through its public REST API for bench/compare.sh, and print what the script drives.

    python -m bench.compare_seed BASE_URL TOKEN TENANT SPOOLS RUNS

5 materials and SPOOLS spools (../shared/bench/seed-ours.py's shape), 5 products, a printer
with a Spoolman integration key, and RUNS runs of 3 items and 2 materials each. Prints
shell assignments: SPOOL (the first spool's id) and SPOOLMAN_PATH (the key's Spoolman server path).
Standard library only: it runs outside the project's process, as any REST client would.
"""

import json
import sys
import urllib.request


def main(base, token, tenant, spool_count, run_count):
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Token {token}",
        "X-Tenant": tenant,
        "X-Forwarded-Proto": "https",
    }

    def post(path, body):
        request = urllib.request.Request(base + path, json.dumps(body).encode(), headers)
        return json.load(urllib.request.urlopen(request))

    colours = ("Red", "Blue", "Black", "White", "Green")
    materials = [
        post(
            "/api/v1/materials/",
            {
                "name": f"PLA {colour}",
                "brand": "Prusament",
                "kind": "PLA",
                "color_name": colour,
                "color_hex": "#FF0000",
                "diameter_mm": "1.75",
                "density_g_cm3": "1.24",
            },
        )
        for colour in colours
    ]
    spools = [
        post(
            "/api/v1/spools/",
            {
                "code": f"SP{i:05d}",
                "material": materials[i % 5]["id"],
                "initial_weight_g": "1000.00",
                "purchase_price": "25.00",
                "location": f"Shelf {i % 10}",
                "supplier": "Prusa",
            },
        )["id"]
        for i in range(spool_count)
    ]
    products = [
        post("/api/v1/products/", {"sku": f"BENCH-{i}", "name": f"Bench part {i}", "unit_weight_g": "12.50"})["id"]
        for i in range(5)
    ]
    printer = post("/api/v1/printers/", {"name": "Bench printer", "model": "MK4"})["id"]
    key = post(f"/api/v1/printers/{printer}/integration-keys/", {"name": "bench"})
    for i in range(run_count):
        post(
            "/api/v1/production-runs/",
            {
                "printer": printer,
                "items": [{"product": products[(i + k) % 5], "quantity": 2 + k} for k in range(3)],
                # Spools from the far end: the measured spool (the first) keeps its weight.
                "materials": [
                    {"spool": spools[-1 - (2 * i + k) % 100], "estimated_model_g": "10.00"} for k in range(2)
                ],
            },
        )
    print(f"SPOOL={spools[0]}")
    print(f"SPOOLMAN_PATH=/spoolman/{key['key']}")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
