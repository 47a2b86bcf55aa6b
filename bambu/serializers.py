from rest_framework import serializers

from bambu.models import (
    DEFAULT_PORT,
    ConnectionKind,
    ConnectionState,
    PrinterConnection,
    validate_host,
    validate_serial,
)


class PrinterConnectionSerializer(serializers.ModelSerializer):
    """A printer's connection: the access code is written, never read (`access_code_set` says it is stored)."""

    kind = serializers.ChoiceField(choices=ConnectionKind.choices, default=ConnectionKind.BAMBU_LAN)
    host = serializers.CharField(
        max_length=253, validators=[validate_host], help_text="The printer's address on the LAN (name or IP)."
    )
    port = serializers.IntegerField(min_value=1, max_value=65535, default=DEFAULT_PORT)
    serial = serializers.CharField(
        max_length=32, validators=[validate_serial], help_text="The printer's serial number (its MQTT topics)."
    )
    access_code = serializers.CharField(
        write_only=True,
        required=False,
        max_length=64,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The LAN access code (the printer's screen: Settings > Network). Stored encrypted, never shown; "
        "left out of a PUT, the stored one is kept.",
    )
    access_code_set = serializers.SerializerMethodField()

    class Meta:
        model = PrinterConnection
        fields = [
            "printer",
            "kind",
            "host",
            "port",
            "serial",
            "access_code",
            "access_code_set",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["printer", "created_at", "updated_at"]

    def get_access_code_set(self, connection) -> bool:
        return bool(connection.access_code_encrypted)


class TraySpoolSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    number = serializers.IntegerField()


class TraySerializer(serializers.Serializer):
    slot = serializers.IntegerField(
        allow_null=True, help_text="AMS unit u tray t is u*4+t; the external holder the printer's last slot."
    )
    ams_unit = serializers.IntegerField(allow_null=True)
    tray = serializers.IntegerField(allow_null=True)
    type = serializers.CharField()
    color_hex = serializers.CharField()
    remain_percent = serializers.IntegerField(allow_null=True)
    tag_uid = serializers.CharField()
    tray_uuid = serializers.CharField(help_text="The spool's RFID identity; matched against spools' rfid_uid.")
    spool = TraySpoolSerializer(allow_null=True, help_text="The spool whose rfid_uid is the tray's, if any.")


class PrinterStatusSerializer(serializers.Serializer):
    printer = serializers.UUIDField()
    printer_name = serializers.CharField()
    connection_state = serializers.ChoiceField(choices=ConnectionState.choices)
    error = serializers.CharField(help_text="Why the last connection attempt failed, if it did.")
    state = serializers.CharField(
        allow_null=True,
        help_text="What the printer reports: idle, printing, paused, finished, failed; offline while not connected; "
        "null without a connection.",
    )
    run_state = serializers.CharField(help_text="From the runs: printing while the printer has an in-progress run.")
    current_run = serializers.UUIDField(allow_null=True)
    gcode_state = serializers.CharField(allow_null=True)
    progress_percent = serializers.IntegerField(allow_null=True)
    remaining_minutes = serializers.IntegerField(allow_null=True)
    layer = serializers.IntegerField(allow_null=True)
    total_layers = serializers.IntegerField(allow_null=True)
    nozzle_temperature_c = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    bed_temperature_c = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    job_name = serializers.CharField(allow_null=True)
    trays = TraySerializer(many=True)
    reported_at = serializers.DateTimeField(allow_null=True)
