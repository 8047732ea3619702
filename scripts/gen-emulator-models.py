#!/usr/bin/env python3
"""Generate `assets/emulator-models.json`: the wire models the genseed emulator enforces.

The emulator checks every request body against the official Genesys Cloud models: an
unknown property is a 400 `invalid.property`, a wrong JSON type a 400 `bad.request`, an
enum value outside the allowed set a 400 `invalid.value`. Those models are data extracted
from the official Python SDK (`PureCloudPlatformClientV2`), not hand-written Rust. This
script reads the SDK's generated model classes (each has `swagger_types`, `attribute_map`
and, in its setters, `allowed_values` for enums) and writes the models listed in `ROOTS`
below, plus every model they reference, to one JSON file that the emulator embeds.

Use:

    python3 -m venv /tmp/sdkvenv
    /tmp/sdkvenv/bin/pip install PureCloudPlatformClientV2==269.0.0
    /tmp/sdkvenv/bin/python scripts/gen-emulator-models.py > assets/emulator-models.json

(`--sdk DIR` points at an unpacked `PureCloudPlatformClientV2` package instead of the one
importable by the running interpreter.) Commit the result. The emulator's unit tests fail
when a collection names a model that the file lacks: add it to `ROOTS` and re-run.

The file: `{"sdk": VERSION, "models": {Name: {wireField: {"type": T, "enum": [...],
"readOnly": true}}}}`. `T` is the SDK's type string: `str`, `int`, `float`, `bool`,
`datetime`, `date`, `LocalDateTime`, `YearMonth`, `object`, `list[T]`, `dict(str, T)` or a model name.

What the SDK does not say is added here, each with its reason (see `READ_ONLY`,
`EXTRA_FIELDS` and `ENUM_OVERRIDES`): the Python SDK does not mark read-only fields, so the emulator's list of
fields it accepts and drops on write (ids, URIs, audit fields and counts echoed back from
a GET; "presumably ignored on write", genesys-api.md §16.1) is kept in this script.
"""

import argparse
import ast
import json
import os
import re
import sys

# Models the emulator enforces or answers with. Request bodies first, then responses.
ROOTS = [
    # divisions, roles, grants
    "AuthzDivision", "DomainOrganizationRoleCreate", "DomainOrganizationRoleUpdate",
    "RoleDivisionGrants",
    # routing
    "CreateRoutingSkill", "UpdateSkillDivisionRequest", "Language", "WrapupCodeRequest",
    "CreateQueueRequest", "QueueRequest", "WritableEntity", "WrapUpCodeReference",
    "SkillGroupWithMemberDivisions", "SkillGroup", "SkillGroupMemberDivisions",
    # users
    "CreateUser", "UpdateUser", "UserSearchRequest", "UserRoutingSkillPost",
    "UserRoutingLanguagePost",
    # architect
    "Schedule", "ScheduleGroup", "Flow",
    # integrations, data actions, triggers
    "CreateIntegrationRequest", "Integration", "IntegrationConfiguration", "Credential",
    "PostActionInput", "UpdateActionInput", "CreateTriggerRequest", "UpdateTriggerRequest",
    # groups
    "GroupCreate", "GroupUpdate", "GroupMembersUpdate",
    # responses
    "AuthzDivisionEntityListing", "OrganizationRoleEntityListing", "DomainOrganizationRole",
    "SubjectDivisionGrantsEntityListing",
    "SkillEntityListing", "RoutingSkill", "LanguageEntityListing", "WrapupCodeEntityListing",
    "WrapupCode", "QueueEntityListing", "Queue", "QueueMemberEntityListing",
    "SkillGroupEntityListing", "UserEntityListing", "User", "UsersSearchResponse",
    "ScheduleEntityListing", "ScheduleGroupEntityListing", "IntegrationEntityListing",
    "TriggerEntityListing", "Trigger", "Action", "ActionEntityListing", "FlowEntityListing",
    "GroupEntityListing", "Group", "AuthzSubject", "Organization", "UserSkillEntityListing",
    "UserLanguageEntityListing", "CredentialInfoListing",
    # OAuth clients and the token's own information (the permission preflight)
    "OAuthClientRequest", "OAuthClient", "OAuthClientEntityListing", "TokenInfo",
]

# Top-level fields a request body may carry that the server ignores (accepted, dropped).
# Kept from the emulator's behaviour before the models were generated: clients send back
# what a GET returned (TF does), and these are the parts the API fills in itself.
_AUDIT = ["id", "dateCreated", "dateModified", "createdBy", "modifiedBy", "selfUri"]
READ_ONLY = {
    "AuthzDivision": ["id", "homeDivision", "objectCounts", "selfUri"],
    "UpdateSkillDivisionRequest": ["id", "name", "selfUri"],
    "Language": ["id", "dateModified", "state", "version", "selfUri"],
    "WrapupCodeRequest": _AUDIT,
    # `chat`, `username` are server-owned; `primaryContactInfo` is derived from `email`
    # and `addresses`, so an echoed value is ignored.
    "UpdateUser": ["id", "chat", "primaryContactInfo", "username", "selfUri"],
    "UserRoutingSkillPost": ["skillUri", "selfUri"],
    "UserRoutingLanguagePost": ["languageUri", "selfUri"],
    "CreateQueueRequest": _AUDIT + ["memberCount", "userMemberCount", "joinedMemberCount"],
    "QueueRequest": _AUDIT + ["memberCount", "userMemberCount", "joinedMemberCount"],
    "DomainOrganizationRoleCreate": [
        "id", "unusedPermissions", "userCount", "roleNeedsUpdate", "baseLicense",
        "addonLicenses", "dateLicenseLastUpdated", "default", "base", "selfUri",
    ],
    "DomainOrganizationRoleUpdate": ["id", "selfUri"],
    "SkillGroupWithMemberDivisions": ["id", "memberCount", "dateModified", "dateCreated",
                                      "status", "selfUri"],
    "SkillGroup": ["id", "memberCount", "dateModified", "dateCreated", "status", "selfUri"],
    "Schedule": _AUDIT + ["state", "modifiedByApp", "createdByApp"],
    "ScheduleGroup": _AUDIT + ["state", "modifiedByApp", "createdByApp"],
    "CreateIntegrationRequest": ["id", "selfUri"],
    "Integration": ["id", "integrationType", "config", "reportedState", "attributes",
                    "selfUri"],
    "IntegrationConfiguration": ["id", "selfUri"],
    "Credential": ["id", "selfUri"],
    "CreateTriggerRequest": ["id", "selfUri"],
    "UpdateTriggerRequest": ["id", "selfUri"],
    "Flow": ["id", "selfUri"],
    "GroupCreate": ["id", "dateModified", "memberCount", "state", "version", "selfUri"],
    "GroupUpdate": ["id", "selfUri"],
    "OAuthClientRequest": _AUDIT,
}

# Fields the emulator accepts that the SDK model lacks, with the reason.
EXTRA_FIELDS = {
    # The skill PATCH body: a client may echo the skill it read (ignored, see READ_ONLY).
    "UpdateSkillDivisionRequest": {"id": "str", "name": "str", "selfUri": "str"},
    # A trigger as read back may be sent again (its id and URI are ignored); `version`
    # is ignored on create, so one trigger shape serves both calls.
    "CreateTriggerRequest": {"id": "str", "selfUri": "str", "version": "int"},
    "UpdateTriggerRequest": {"id": "str", "selfUri": "str"},
    # An OAuth client as read back may be sent again (an admin's read-modify-write).
    "OAuthClientRequest": {"id": "str", "dateCreated": "datetime", "dateModified": "datetime",
                           "createdBy": "DomainEntityRef", "modifiedBy": "DomainEntityRef",
                           "selfUri": "str"},
}

# Enum values the emulator allows instead of the SDK's, with the reason.
ENUM_OVERRIDES = {
    # The SDK lists "ownerIds" here, which matches neither Group nor GroupCreate
    # ("owners"): taken for a slip in the swagger (unconfirmed).
    ("GroupUpdate", "visibility"): ["public", "owners", "members"],
}


def sdk_models_dir(explicit):
    if explicit:
        d = os.path.join(explicit, "models") if os.path.isdir(os.path.join(explicit, "models")) else explicit
        return d, "unknown"
    import importlib.util
    spec = importlib.util.find_spec("PureCloudPlatformClientV2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("PureCloudPlatformClientV2 is not installed; see the usage at the top of this script")
    root = list(spec.submodule_search_locations)[0]
    version = "unknown"
    try:
        from importlib.metadata import version as v
        version = v("PureCloudPlatformClientV2")
    except Exception:
        pass
    return os.path.join(root, "models"), version


def index_classes(models_dir):
    """Class name -> file path, from each file's `class Name(object):` line."""
    out = {}
    pat = re.compile(r"^class (\w+)\(object\):", re.M)
    for f in sorted(os.listdir(models_dir)):
        if not f.endswith(".py") or f == "__init__.py":
            continue
        path = os.path.join(models_dir, f)
        with open(path, encoding="utf-8") as fh:
            for m in pat.finditer(fh.read()):
                out[m.group(1)] = path
    return out


def literal_dict(node):
    return {ast.literal_eval(k): ast.literal_eval(v) for k, v in zip(node.keys, node.values)}


def read_model(path, name):
    """(swagger_types, attribute_map, allowed values per python attribute) of class `name`."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
    types, wire, enums = {}, {}, {}
    for fn in cls.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        if fn.name == "__init__":
            for st in ast.walk(fn):
                if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Attribute):
                    attr = st.targets[0].attr
                    if attr == "swagger_types":
                        types = literal_dict(st.value)
                    elif attr == "attribute_map":
                        wire = literal_dict(st.value)
        is_setter = any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in fn.decorator_list)
        if is_setter:
            for st in ast.walk(fn):
                if (isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name)
                        and st.targets[0].id == "allowed_values"):
                    enums[fn.name] = ast.literal_eval(st.value)
    return types, wire, enums


# `LocalDateTime` and `YearMonth` are strings on the wire (no class in the SDK).
SCALARS = {"str", "int", "float", "bool", "datetime", "date", "object", "LocalDateTime", "YearMonth"}


def referenced(t):
    """Model names referenced by an SDK type string."""
    m = re.fullmatch(r"list\[(.+)\]", t)
    if m:
        return referenced(m.group(1))
    m = re.fullmatch(r"dict\(str, (.+)\)", t)
    if m:
        return referenced(m.group(1))
    return [] if t in SCALARS else [t]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sdk", help="path of the PureCloudPlatformClientV2 package directory")
    args = ap.parse_args()
    models_dir, version = sdk_models_dir(args.sdk)
    classes = index_classes(models_dir)
    out, todo = {}, list(ROOTS)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        if name not in classes:
            sys.exit(f"model {name} is not in the SDK at {models_dir}")
        types, wire, enums = read_model(classes[name], name)
        ro = set(READ_ONLY.get(name, []))
        fields = {}
        for attr, t in types.items():
            f = {"type": t}
            if attr in enums:
                f["enum"] = ENUM_OVERRIDES.get((name, wire[attr]), enums[attr])
            if wire[attr] in ro:
                f["readOnly"] = True
            fields[wire[attr]] = f
            todo.extend(referenced(t))
        for k, t in EXTRA_FIELDS.get(name, {}).items():
            fields.setdefault(k, {"type": t, **({"readOnly": True} if k in ro else {})})
        missing = ro - set(fields)
        if missing:
            sys.exit(f"READ_ONLY names fields {sorted(missing)} that {name} lacks")
        out[name] = fields
    doc = {"sdk": f"PureCloudPlatformClientV2 {version}", "models": dict(sorted(out.items()))}
    # One model per line: small diffs when the SDK changes.
    lines = [f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in doc["models"].items()]
    sys.stdout.write("{\n" + f"  \"sdk\": {json.dumps(doc['sdk'])},\n" + "  \"models\": {\n  "
                     + ",\n  ".join(lines) + "\n  }\n}\n")


if __name__ == "__main__":
    main()
