#!/usr/bin/env python3
"""make deploy-check: every manifest under deploy/ valid, strictly (no unknown field).

- Kubernetes' own kinds against the schemas of KUBERNETES_VERSION that PyPI's kubernetes-validate
  carries (offline), strict;
- NetworkAttachmentDefinitions (a CRD, not in those schemas) against deploy/networks/schema.json,
  the CRD's openAPIV3Schema made strict; their spec.config must be one JSON object with cniVersion
  and name, and a type or a plugins list whose every entry has one;
- the node policy in the ConfigMap must be one the plugins accept: the built `bridge` (SWIFT_CNI_BIN)
  answers STATUS with it as its policy file (an invalid policy fails every call, naming it);
- kustomization.yaml must name every other manifest of deploy/ (but the example networks);
- first, the validation itself must refuse a few broken manifests.
Prints one line per document and 'N passed, N failed'."""
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.33"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy")


def check_cni_config(text):
    config = json.loads(text)
    assert isinstance(config, dict), "spec.config is not a JSON object"
    for key in ("cniVersion", "name"):
        assert isinstance(config.get(key), str) and config[key], "spec.config has no %s" % key
    plugins = config.get("plugins", [config])
    assert isinstance(plugins, list) and plugins, "spec.config's plugins is not a list"
    for plugin in plugins:
        assert isinstance(plugin, dict) and isinstance(plugin.get("type"), str), "a plugin without a type"


def check_policy(text):
    """The plugins read the policy on every call: STATUS of the built bridge with it must succeed."""
    plugin = os.path.join(os.environ["SWIFT_CNI_BIN"], "bridge")
    with tempfile.NamedTemporaryFile("w", suffix=".json") as policy:
        policy.write(text)
        policy.flush()
        os.chmod(policy.name, 0o644)
        env = {"CNI_COMMAND": "STATUS", "CNI_PATH": "/usr/lib/cni", "SWIFT_CNI_POLICY": policy.name}
        config = json.dumps({"cniVersion": "1.1.0", "name": "policy-check", "type": "bridge", "bridge": "br-check"})
        done = subprocess.run([plugin], input=config.encode(), env=env, capture_output=True)
        assert done.returncode == 0, "the plugins refuse this policy: %s" % done.stdout.decode().strip()


def validate(document, nad_schema):
    if document.get("kind") == "NetworkAttachmentDefinition":
        jsonschema.validate(document, nad_schema)
        check_cni_config(document["spec"]["config"])
    else:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        if document.get("kind") == "ConfigMap" and "policy.json" in document.get("data", {}):
            check_policy(document["data"]["policy.json"])


def rejects(document, nad_schema):
    try:
        validate(document, nad_schema)
    except Exception:
        return True
    return False


def check_the_checker(nad_schema):
    """The validation must refuse what is wrong: a misspelt field in a pod spec, a NAD's unknown key, a
    NAD whose config is no JSON, a node policy key the plugins do not know (else a broken validator would
    pass everything)."""
    with open(os.path.join(ROOT, "daemonset.yaml")) as f:
        daemonset = yaml.safe_load(f)
    daemonset["spec"]["template"]["spec"]["hostNetwrk"] = True
    with open(os.path.join(ROOT, "networks", "layer2-overlay.yaml")) as f:
        nad = yaml.safe_load(f)
    unknown = dict(nad, spec=dict(nad["spec"], configg="{}"))
    garbled = dict(nad, spec={"config": "{ not json"})
    with open(os.path.join(ROOT, "policy.yaml")) as f:
        policy = yaml.safe_load(f)
    misspelt = dict(policy, data={"policy.json": '{"stateDirectory": ["/run/cni"]}'})
    return [what for what, document in (("a misspelt pod spec field", daemonset), ("a NAD's unknown key", unknown),
                                        ("a NAD whose config is not JSON", garbled), ("a misspelt policy key", misspelt))
            if not rejects(document, nad_schema)]


def main():
    with open(os.path.join(ROOT, "networks", "schema.json")) as f:
        nad_schema = json.load(f)
    passed = failed = 0
    for what in check_the_checker(nad_schema):
        print("FAIL  the validation accepts %s" % what)
        failed += 1
    files = sorted(glob.glob(os.path.join(ROOT, "*.yaml")) + glob.glob(os.path.join(ROOT, "networks", "*.yaml")))
    for path in files:
        name = os.path.relpath(path, os.path.join(ROOT, ".."))
        if os.path.basename(path) == "kustomization.yaml":
            with open(path) as f:
                listed = set(yaml.safe_load(f)["resources"])
            others = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "*.yaml"))} - {"kustomization.yaml"}
            ok = listed == others
            print(("ok    " if ok else "FAIL  ") + name + ("" if ok else ": resources %s, files %s" % (sorted(listed), sorted(others))))
            passed, failed = passed + ok, failed + (not ok)
            continue
        with open(path) as f:
            documents = [d for d in yaml.safe_load_all(f) if d is not None]
        for document in documents:
            what = "%s %s/%s" % (name, document.get("kind"), document.get("metadata", {}).get("name"))
            try:
                validate(document, nad_schema)
                print("ok    " + what)
                passed += 1
            except Exception as error:  # every kind of invalid: schema, strictness, JSON
                print("FAIL  %s: %s" % (what, str(error).splitlines()[0]))
                failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
