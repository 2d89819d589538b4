# Shared by scripts/demo.sh and scripts/bench-daemon.sh: the part of a ketenpost configuration
# that points at the Ons stand-in (record system and route), read from the KEY=value lines
# ketenpost-standins printed. Source it, then:
#   standins_route_toml STANDINS_OUTPUT_FILE 'retry = { attempts = 3, first_delay = "1s", max_delay = "10s" }'

standins_value() { # KEY FILE
  sed -n "s/^$1=//p" "$2" | head -1
}

standins_route_toml() { # STANDINS_OUTPUT_FILE RETRY_LINE
  cat <<TOML
[record_systems.ons]
kind = "nedap_ons"
base_url = "$(standins_value ONS_URL "$1")"
client_cert = "$(standins_value ONS_CLIENT_CERT "$1")"
client_key = "$(standins_value ONS_CLIENT_KEY "$1")"
ca_cert = "$(standins_value ONS_CA_CERT "$1")"
employee_object_id = "4711"
user_name = "Ketenverkeer"
active_identity = "ketenpost"
timeout = "10s"
[routes.ons]
record_system = "ons"
medvri_pdf_senders = ["500012345"]
place_incoming_pdf = true
$2
[routes.ons.types.MEDVRI]
labels = ["brief"]
actions = ["SOG", "Secretariaat"]
right_selection = "Group"
expertise_groups = ["12"]
[routes.ons.types.MEDLAB]
labels = ["labuitslag"]
actions = ["SOG"]
right_selection = "Group"
expertise_groups = ["12"]
TOML
}
