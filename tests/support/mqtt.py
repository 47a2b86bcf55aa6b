"""A real MQTT broker and a simulated Bambu Lab printer for the bridge's tests (tests/bambu).

`Broker` runs Debian's mosquitto on 127.0.0.1 with TLS (a self-signed certificate made here, as
a printer's is) and a password file holding `bblp` and the printer's access code: what a Bambu
Lab printer's own broker asks of its LAN clients. `SimulatedPrinter` is a paho client on that
broker playing a P1S: it answers `pushall` on `device/{serial}/request` with its full state on
`device/{serial}/report`, and then publishes only what changes (`report`).
"""

import datetime
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bambu.bridge import tls_context

SERIAL = "01P00A391800123"
ACCESS_CODE = "12345678"
# The tag identity of the RFID spool in AMS unit 0 tray 0 (a Bambu spool's `tray_uuid`).
RFID_UUID = "A1B2C3D4E5F60718293A4B5C6D7E8F90"


def mosquitto_binary(name="mosquitto"):
    """Debian puts the broker in /usr/sbin, which is not on every user's PATH."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise RuntimeError(f"{name} is not installed (apt-get install mosquitto; .ci/run does)")
    return found


def free_port():
    """A free TCP port on 127.0.0.1; from TEST_PORT_RANGE (e.g. `8700-8799`) when it is set."""
    wanted = os.environ.get("TEST_PORT_RANGE", "")
    candidates = [0]
    if wanted:
        low, high = (int(part) for part in wanted.split("-"))
        candidates = list(range(low, high + 1))
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in {wanted}")


def self_signed_certificate(directory: Path, common_name: str) -> tuple[Path, Path]:
    """A certificate and key like a printer's: self-signed, naming the printer's serial, not its address."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "printer.crt", directory / "printer.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Broker:
    """mosquitto with TLS and a password file, on its own port; `stop()` and `start()` again keep the port."""

    def __init__(self, directory: Path, *, access_code: str = ACCESS_CODE, serial: str = SERIAL):
        self.directory = directory
        self.port = free_port()
        self.cert, self.key = self_signed_certificate(directory, serial)
        self.passwords = directory / "passwords"
        subprocess.run(
            [mosquitto_binary("mosquitto_passwd"), "-b", "-c", str(self.passwords), "bblp", access_code],
            check=True,
            capture_output=True,
        )
        self.config = directory / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"certfile {self.cert}",
            f"keyfile {self.key}",
            "allow_anonymous false",
            f"password_file {self.passwords}",
            "persistence false",
            f"log_dest file {directory / 'mosquitto.log'}",
        ]
        if os.geteuid() == 0:
            # As root, mosquitto drops to its own user, which cannot read a private temporary folder.
            lines.append("user root")
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    def start(self):
        self.process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.process.stderr.read().decode()}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        path = self.directory / "mosquitto.log"
        return path.read_text() if path.exists() else ""


def tray(tray_id, *, tray_type="PLA", color="FF0000FF", remain=100, tray_uuid="0" * 32, tag_uid="0" * 16):
    return {
        "id": str(tray_id),
        "tray_type": tray_type,
        "tray_color": color,
        "remain": remain,
        "tag_uid": tag_uid,
        "tray_uuid": tray_uuid,
        "tray_sub_brands": f"{tray_type} Basic",
        "nozzle_temp_min": "190",
        "nozzle_temp_max": "230",
    }


def full_state(*, rfid_remain=80):
    """A P1S with one AMS: an RFID-tagged PLA spool in tray 0, an untagged PETG spool in tray 1, trays 2-3 empty."""
    return {
        "command": "push_status",
        "msg": 0,
        "sequence_id": "0",
        "gcode_state": "IDLE",
        "mc_percent": 0,
        "mc_remaining_time": 0,
        "layer_num": 0,
        "total_layer_num": 0,
        "nozzle_temper": 24.0,
        "bed_temper": 23.5,
        "subtask_name": "",
        "gcode_file": "",
        "wifi_signal": "-44dBm",
        "ams": {
            "ams": [
                {
                    "id": "0",
                    "humidity": "4",
                    "temp": "23.5",
                    "tray": [
                        tray(0, remain=rfid_remain, tray_uuid=RFID_UUID, tag_uid="A1B2C3D4E5F60708"),
                        tray(1, tray_type="PETG", color="00AE42FF", remain=-1),
                        {"id": "2"},
                        {"id": "3"},
                    ],
                }
            ],
            "ams_exist_bits": "1",
            "tray_exist_bits": "3",
            "tray_now": "0",
            "version": 5,
        },
        "vt_tray": {"id": "254", "tray_type": "", "tray_color": "00000000", "remain": 0},
    }


class SimulatedPrinter:
    """A P1S on `broker`: a full report on `pushall`, then partial reports of what changes."""

    def __init__(self, broker: Broker, *, serial: str = SERIAL, access_code: str = ACCESS_CODE):
        self.broker, self.serial = broker, serial
        self.state = full_state()
        self.pushall_requests = 0
        self.connections = 0
        self.connected = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"printer-{serial}")
        self.client.username_pw_set("bblp", access_code)
        self.client.tls_set_context(tls_context())
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def start(self):
        self.client.connect("127.0.0.1", self.broker.port, keepalive=10)
        self.client.loop_start()
        assert self.connected.wait(10), "the simulated printer could not connect to its broker"
        return self

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if not reason_code.is_failure:
            client.subscribe(f"device/{self.serial}/request")
            self.connections += 1
            self.connected.set()

    def _on_message(self, client, userdata, message):
        request = json.loads(message.payload)
        if request.get("pushing", {}).get("command") == "pushall":
            self.pushall_requests += 1
            # In paho's network thread: queued and sent by it once this callback returns.
            self.client.publish(f"device/{self.serial}/report", json.dumps({"print": self.state}))

    def _publish(self, state):
        info = self.client.publish(f"device/{self.serial}/report", json.dumps({"print": state}))
        info.wait_for_publish(5)

    def report(self, **changes):
        """A partial report, as a P1S sends it: only the changed keys (merged into the full state here too)."""
        for key, value in changes.items():
            self.state[key] = value
        self._publish({"command": "push_status", "msg": 1, "sequence_id": "1", **changes})

    def print_to(self, percent, *, total_layers=50, job="benchy.3mf"):
        """RUNNING at `percent`, with the layer and time left that go with it."""
        self.report(
            gcode_state="RUNNING",
            mc_percent=percent,
            layer_num=total_layers * percent // 100,
            total_layer_num=total_layers,
            mc_remaining_time=max(0, 60 - percent * 60 // 100),
            subtask_name=job,
            nozzle_temper=220.0,
            bed_temper=55.0,
        )
