# SPDX-License-Identifier: Apache-2.0
"""Kubernetes manifests checked without an API server.

* validate(obj): every field name and type of a Kubernetes object checked
  against the API models of Debian's python3-kubernetes (Kubernetes 1.22),
  unknown fields rejected (the client itself ignores them), then the object
  deserialized into its typed model with the client's own deserializer;
  plus the checks an API server would make that the models do not carry
  (enums, names, references between fields, requests <= limits, ...).
* render(dir): a small kustomize for the features k8s/ uses (resources,
  namespace, images, JSON 6902 patches), to test the variants when no
  kustomize binary is around, and to compare with one when there is.
* pod_from_template(): a workload's pod template as the Pod its controller
  would create (for `podman kube play`).

Python 3 standard library + python3-yaml + python3-kubernetes.
"""

import copy
import json
import os
import re

import yaml

try:
    import kubernetes.client as k8s_client
except ImportError as e:  # pragma: no cover - reported by the tests
    k8s_client = None
    K8S_IMPORT_ERROR = str(e)
else:
    K8S_IMPORT_ERROR = None

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# ------------------------------------------------------------------ loading


def materialize(src):
    """A plain copy of a manifest tree (Bazel's runfiles are symbolic links,
    which kustomize resolves and then rejects as outside the kustomization)."""
    import shutil
    import tempfile
    dst = os.path.join(tempfile.mkdtemp(prefix="k8s-", dir=os.environ.get("TEST_TMPDIR")), "k8s")
    shutil.copytree(src, dst, symlinks=False)
    return dst


def load_docs(path):
    """Every non-empty YAML document of a file."""
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def kustomization_file(directory):
    for name in KUSTOMIZATION_NAMES:
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    return None


# ------------------------------------------------------------ model checks

_PRIMITIVES = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "date": (str,),
    "datetime": (str,),
}

# Quantities: the python client types them "str", the API server also takes
# YAML numbers (cpu: 1).
_QUANTITY_MAPS = {("V1ResourceRequirements", "limits"), ("V1ResourceRequirements", "requests")}
_QUANTITY_FIELDS = {("V1EmptyDirVolumeSource", "sizeLimit")}


def model_name(obj):
    """apps/v1 DaemonSet -> V1DaemonSet; v1 Pod -> V1Pod."""
    api_version = obj.get("apiVersion", "")
    version = api_version.rsplit("/", 1)[-1]
    return version[:1].upper() + version[1:] + obj.get("kind", "")


def _check(value, type_name, path, errors, owner=None, field=None):
    if value is None:
        return  # null is "unset" to the API server
    if type_name == "object":  # IntOrString, RawExtension: anything
        return
    if (owner, field) in _QUANTITY_FIELDS:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            errors.append("%s: a quantity, got %r" % (path, value))
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append("%s: expected a list, got %s" % (path, type(value).__name__))
            return
        for i, item in enumerate(value):
            _check(item, m.group(1), "%s[%d]" % (path, i), errors)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append("%s: expected a map, got %s" % (path, type(value).__name__))
            return
        inner = m.group(1)
        for k, v in value.items():
            if not isinstance(k, str):
                errors.append("%s: key %r is not a string" % (path, k))
            if (owner, field) in _QUANTITY_MAPS:
                if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                    errors.append("%s.%s: a quantity, got %r" % (path, k, v))
                continue
            _check(v, inner, "%s.%s" % (path, k), errors)
        return
    if type_name in _PRIMITIVES:
        ok = isinstance(value, _PRIMITIVES[type_name])
        if type_name in ("int", "float") and isinstance(value, bool):
            ok = False
        if not ok:
            errors.append("%s: expected %s, got %s %r" % (path, type_name, type(value).__name__, value))
        return
    model = getattr(k8s_client, type_name, None)
    if model is None:
        errors.append("%s: unknown model type %s" % (path, type_name))
        return
    if not isinstance(value, dict):
        errors.append("%s: expected an object (%s), got %s" % (path, type_name, type(value).__name__))
        return
    by_json = {j: a for a, j in model.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            errors.append("%s: unknown field %r in %s" % (path, key, type_name))
            continue
        _check(v, model.openapi_types[by_json[key]], "%s.%s" % (path, key), errors,
               owner=type_name, field=key)


class _Response:
    def __init__(self, obj):
        self.data = json.dumps(obj)


def check_model(obj, where="object"):
    """Field names and types against the 1.22 models; [] if all is well."""
    if k8s_client is None:
        raise RuntimeError("python3-kubernetes is not importable: %s" % K8S_IMPORT_ERROR)
    name = model_name(obj)
    if getattr(k8s_client, name, None) is None:
        return ["%s: no Kubernetes 1.22 model %s (apiVersion %r, kind %r)" % (
            where, name, obj.get("apiVersion"), obj.get("kind"))]
    errors = []
    _check(obj, name, "%s(%s)" % (where, name), errors)
    if errors:
        return errors
    # The client's own deserializer, into the typed model (it checks
    # required fields on construction).
    try:
        typed = k8s_client.ApiClient().deserialize(_Response(obj), name)
    except Exception as e:  # noqa: BLE001 - any failure is the finding
        return ["%s: the python client cannot deserialize it into %s: %s" % (where, name, e)]
    if type(typed).__name__ != name:
        return ["%s: deserialized into %s, not %s" % (where, type(typed).__name__, name)]
    return []


# ------------------------------------------------- what the server checks

CAPABILITIES = {
    "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
    "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",
    "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE",
    "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE",
    "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP",
    "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE",
    "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE",
    "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM", "ALL",
}

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_QUALIFIED_NAME = re.compile(
    r"(([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")

_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?")
_SUFFIX = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
           "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50,
           "Ei": 2**60}

NAMESPACED_KINDS = {"Pod", "DaemonSet", "Deployment", "StatefulSet", "Job", "CronJob",
                    "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding",
                    "Service"}


def quantity(value):
    """A Kubernetes quantity ("250m", "64Mi", 1) as a float; ValueError if not."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = _QUANTITY.fullmatch(str(value))
    if not m:
        raise ValueError("not a quantity: %r" % (value,))
    return float(m.group(1)) * _SUFFIX[m.group(2)]


def pod_spec_of(obj):
    """(pod spec, pod metadata) of a Pod or a workload's template."""
    kind = obj.get("kind")
    if kind == "Pod":
        return obj.get("spec") or {}, obj.get("metadata") or {}
    if kind == "CronJob":
        t = obj["spec"]["jobTemplate"]["spec"]["template"]
    else:
        t = (obj.get("spec") or {}).get("template")
    if t is None:
        return None, None
    return t.get("spec") or {}, t.get("metadata") or {}


def _expand(text, env):
    """Kubernetes' $(VAR) expansion in command/args: $$ is a literal $."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        m = re.match(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", text[i:])
        if m and m.group(1) in env:
            out.append(env[m.group(1)])
            i += m.end()
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


def check_semantics(obj, where="object"):
    """What the API server (and the kubelet) would reject; [] if all is well."""
    errors = []
    err = errors.append
    meta = obj.get("metadata") or {}
    kind = obj.get("kind")
    name = meta.get("name", "")
    if not _DNS1123_SUBDOMAIN.fullmatch(name or "") or len(name) > 253:
        err("%s: metadata.name %r is not a DNS-1123 subdomain" % (where, name))
    ns = meta.get("namespace")
    if ns is not None and not _DNS1123_LABEL.fullmatch(ns):
        err("%s: metadata.namespace %r is not a DNS-1123 label" % (where, ns))
    if kind == "Namespace" and not _DNS1123_LABEL.fullmatch(name or ""):
        err("%s: a namespace name must be a DNS-1123 label" % where)
    for field in ("labels", "annotations"):
        for k, v in (meta.get(field) or {}).items():
            if not _QUALIFIED_NAME.fullmatch(k):
                err("%s: %s key %r is not a qualified name" % (where, field, k))
            if field == "labels" and (not _LABEL_VALUE.fullmatch(str(v)) or len(str(v)) > 63):
                err("%s: label value %r is invalid" % (where, v))
            if not isinstance(v, str):
                err("%s: %s value of %r must be a string" % (where, field, k))
    spec, tmeta = pod_spec_of(obj)
    if spec is None:
        return errors
    where_t = where if kind == "Pod" else where + " pod template"
    labels = tmeta.get("labels") or {}
    for k, v in labels.items():
        if not _QUALIFIED_NAME.fullmatch(k) or not _LABEL_VALUE.fullmatch(str(v)):
            err("%s: label %r=%r is invalid" % (where_t, k, v))
    if kind in ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet"):
        sel = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not sel:
            err("%s: spec.selector.matchLabels is required" % where)
        for k, v in sel.items():
            if labels.get(k) != v:
                err("%s: selector %s=%s does not match the template's labels" % (where, k, v))
        if spec.get("restartPolicy", "Always") != "Always":
            err("%s: restartPolicy must be Always" % where_t)
    if kind == "Job" and spec.get("restartPolicy") not in ("Never", "OnFailure"):
        err("%s: a Job's restartPolicy must be Never or OnFailure" % where_t)
    if spec.get("restartPolicy", "Always") not in ("Always", "OnFailure", "Never"):
        err("%s: restartPolicy %r" % (where_t, spec.get("restartPolicy")))
    for t in spec.get("tolerations") or []:
        if t.get("operator", "Equal") not in ("Equal", "Exists"):
            err("%s: toleration operator %r" % (where_t, t.get("operator")))
        if t.get("operator") == "Exists" and t.get("value"):
            err("%s: a toleration with operator Exists has no value" % where_t)
        if t.get("effect") not in (None, "", "NoSchedule", "PreferNoSchedule", "NoExecute"):
            err("%s: toleration effect %r" % (where_t, t.get("effect")))
    volumes = {}
    for v in spec.get("volumes") or []:
        vname = v.get("name", "")
        if not _DNS1123_LABEL.fullmatch(vname):
            err("%s: volume name %r is not a DNS-1123 label" % (where_t, vname))
        if vname in volumes:
            err("%s: volume %r defined twice" % (where_t, vname))
        volumes[vname] = v
        sources = [k for k in v if k != "name"]
        if len(sources) != 1:
            err("%s: volume %r has %d sources" % (where_t, vname, len(sources)))
        hp = v.get("hostPath")
        if hp is not None:
            if not str(hp.get("path", "")).startswith("/"):
                err("%s: hostPath %r is not absolute" % (where_t, hp.get("path")))
            if hp.get("type", "") not in ("", "DirectoryOrCreate", "Directory", "FileOrCreate",
                                           "File", "Socket", "CharDevice", "BlockDevice"):
                err("%s: hostPath type %r" % (where_t, hp.get("type")))
        ed = v.get("emptyDir")
        if ed is not None and ed.get("medium", "") not in ("", "Memory", "HugePages"):
            err("%s: emptyDir medium %r" % (where_t, ed.get("medium")))
    if spec.get("hostPID") is not None and not isinstance(spec.get("hostPID"), bool):
        err("%s: hostPID must be a boolean" % where_t)
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    if not spec.get("containers"):
        err("%s: no containers" % where_t)
    names = set()
    for c in containers:
        cname = c.get("name", "")
        cw = "%s container %r" % (where_t, cname)
        if not _DNS1123_LABEL.fullmatch(cname):
            err("%s: name is not a DNS-1123 label" % cw)
        if cname in names:
            err("%s: duplicate container name" % cw)
        names.add(cname)
        if not c.get("image"):
            err("%s: no image" % cw)
        if c.get("imagePullPolicy", "IfNotPresent") not in ("Always", "IfNotPresent", "Never"):
            err("%s: imagePullPolicy %r" % (cw, c.get("imagePullPolicy")))
        env = {}
        for e in c.get("env") or []:
            if "value" in e and "valueFrom" in e:
                err("%s: env %s has both value and valueFrom" % (cw, e.get("name")))
            fr = (e.get("valueFrom") or {}).get("fieldRef")
            if fr is not None and fr.get("fieldPath") not in (
                    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                    "spec.serviceAccountName", "status.hostIP", "status.podIP",
                    "status.podIPs") and not re.fullmatch(
                        r"metadata\.(labels|annotations)\['[^']+'\]", fr.get("fieldPath", "")):
                err("%s: env %s: unsupported fieldRef %r" % (cw, e.get("name"), fr.get("fieldPath")))
            env[e.get("name")] = "x"
        for word in (c.get("command") or []) + (c.get("args") or []):
            for ref in re.findall(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)", word):
                if ref not in env:
                    err("%s: $(%s) in its arguments is not an env variable: it stays literal" % (cw, ref))
        mounts = set()
        for m in c.get("volumeMounts") or []:
            if m.get("name") not in volumes:
                err("%s: volumeMount %r names no volume" % (cw, m.get("name")))
            if not str(m.get("mountPath", "")).startswith("/"):
                err("%s: mountPath %r is not absolute" % (cw, m.get("mountPath")))
            if m.get("mountPath") in mounts:
                err("%s: mountPath %r used twice" % (cw, m.get("mountPath")))
            mounts.add(m.get("mountPath"))
            prop = m.get("mountPropagation")
            if prop not in (None, "None", "HostToContainer", "Bidirectional"):
                err("%s: mountPropagation %r" % (cw, prop))
        sc = c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}
        for kind_ in ("add", "drop"):
            for cap in caps.get(kind_) or []:
                if cap not in CAPABILITIES:
                    err("%s: unknown capability %r (%s; no CAP_ prefix)" % (cw, cap, kind_))
        privileged = sc.get("privileged") is True
        for m in c.get("volumeMounts") or []:
            if m.get("mountPropagation") == "Bidirectional" and not privileged:
                err("%s: Bidirectional mount propagation needs privileged" % cw)
        if sc.get("allowPrivilegeEscalation") is False and (
                privileged or "SYS_ADMIN" in (caps.get("add") or [])):
            err("%s: allowPrivilegeEscalation false with privileged or CAP_SYS_ADMIN" % cw)
        if (sc.get("seccompProfile") or {}).get("type") not in (None, "RuntimeDefault",
                                                                  "Unconfined", "Localhost"):
            err("%s: seccompProfile type %r" % (cw, sc["seccompProfile"].get("type")))
        if sc.get("runAsNonRoot") is True and sc.get("runAsUser") == 0:
            err("%s: runAsNonRoot with runAsUser 0" % cw)
        res = c.get("resources") or {}
        for rname, limit in (res.get("limits") or {}).items():
            req = (res.get("requests") or {}).get(rname)
            try:
                if req is not None and quantity(req) > quantity(limit):
                    err("%s: %s request %s exceeds its limit %s" % (cw, rname, req, limit))
            except ValueError as e:
                err("%s: %s" % (cw, e))
        for rname, req in (res.get("requests") or {}).items():
            try:
                quantity(req)
            except ValueError as e:
                err("%s: %s" % (cw, e))
    for key in (tmeta.get("annotations") or {}):
        if key.startswith("container.apparmor.security.beta.kubernetes.io/"):
            if key.split("/", 1)[1] not in names:
                err("%s: AppArmor annotation for unknown container %r" % (where_t, key))
    return errors


def validate(obj, where="object"):
    """Model check, then the server-side checks (only if the first passed)."""
    errors = check_model(obj, where)
    if errors:
        return errors
    return check_semantics(obj, where)


# ----------------------------------------------------------- a kustomize

KUSTOMIZATION_FIELDS = {
    "apiVersion", "kind", "resources", "namespace", "images", "patches", "namePrefix",
    "nameSuffix", "commonLabels", "labels", "commonAnnotations", "components",
    "configMapGenerator", "secretGenerator", "generatorOptions", "replicas",
    "patchesStrategicMerge", "patchesJson6902", "bases", "crds", "openapi",
    "transformers", "generators", "validators", "vars", "replacements",
    "buildMetadata", "sortOptions", "helmCharts",
}
# What render() implements; anything else in a kustomization is an error here
# (so a new feature cannot slip past the tests untested).
RENDERED_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}
PATCH_FIELDS = {"path", "patch", "target", "options"}
TARGET_FIELDS = {"group", "version", "kind", "name", "namespace", "labelSelector",
                 "annotationSelector"}


def check_kustomization(directory):
    """Field names and paths of a kustomization; [] if all is well."""
    path = kustomization_file(directory)
    if path is None:
        return ["%s: no kustomization.yaml" % directory]
    docs = load_docs(path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return ["%s: not one YAML object" % path]
    k = docs[0]
    errors = []
    if k.get("apiVersion", "kustomize.config.k8s.io/v1beta1") != "kustomize.config.k8s.io/v1beta1":
        errors.append("%s: apiVersion %r" % (path, k.get("apiVersion")))
    if k.get("kind", "Kustomization") != "Kustomization":
        errors.append("%s: kind %r" % (path, k.get("kind")))
    for key in k:
        if key not in KUSTOMIZATION_FIELDS:
            errors.append("%s: unknown field %r" % (path, key))
        elif key not in RENDERED_FIELDS:
            errors.append("%s: %r is valid kustomize but not covered by the tests' renderer" % (path, key))
    if "namespace" in k and not _DNS1123_LABEL.fullmatch(str(k["namespace"])):
        errors.append("%s: namespace %r" % (path, k["namespace"]))
    for r in k.get("resources") or []:
        if not isinstance(r, str):
            errors.append("%s: resource %r is not a path" % (path, r))
            continue
        p = os.path.normpath(os.path.join(directory, r))
        if os.path.isdir(p):
            if kustomization_file(p) is None:
                errors.append("%s: resource directory %s has no kustomization" % (path, r))
            elif os.path.abspath(directory).startswith(os.path.abspath(p) + os.sep):
                # kustomize: "cycle detected: candidate root ... contains visited root"
                errors.append("%s: resource %s contains this kustomization (kustomize rejects it)" % (path, r))
        elif not os.path.isfile(p):
            errors.append("%s: resource %s does not exist" % (path, r))
        elif not os.path.abspath(p).startswith(os.path.abspath(directory) + os.sep):
            errors.append("%s: file %s is outside the kustomization's directory "
                          "(kustomize's load restrictor rejects it)" % (path, r))
    for img in k.get("images") or []:
        for key in img:
            if key not in IMAGE_FIELDS:
                errors.append("%s: images: unknown field %r" % (path, key))
        if "name" not in img:
            errors.append("%s: images: entry without name" % path)
        if "newTag" in img and not isinstance(img["newTag"], str):
            errors.append("%s: images: newTag %r must be a string" % (path, img["newTag"]))
    for p in k.get("patches") or []:
        for key in p:
            if key not in PATCH_FIELDS:
                errors.append("%s: patches: unknown field %r" % (path, key))
        for key in (p.get("target") or {}):
            if key not in TARGET_FIELDS:
                errors.append("%s: patches: target: unknown field %r" % (path, key))
        if ("path" in p) == ("patch" in p):
            errors.append("%s: patches: give exactly one of path and patch" % path)
        if "path" in p and not os.path.isfile(os.path.join(directory, p["path"])):
            errors.append("%s: patch file %s does not exist" % (path, p["path"]))
    return errors


def patch_files(directory):
    """Files a kustomization uses as patches (not resources)."""
    path = kustomization_file(directory)
    k = load_docs(path)[0]
    return {os.path.normpath(os.path.join(directory, p["path"]))
            for p in k.get("patches") or [] if "path" in p}


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError("JSON pointer %r does not start with /" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    for p in parts:
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    return doc


def json6902(doc, ops):
    """RFC 6902 add/remove/replace/test on a copy of doc."""
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = _pointer(op["path"])
        parent = _walk(doc, parts[:-1])
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            if _walk(doc, parts) != op["value"]:
                raise ValueError("test failed at %s: %r != %r" % (
                    op["path"], _walk(doc, parts), op["value"]))
        elif kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                del parent[last]
        elif kind == "replace":
            if isinstance(parent, list):
                parent[int(last)] = copy.deepcopy(op["value"])
            else:
                if last not in parent:
                    raise ValueError("replace of missing %s" % op["path"])
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "add":
            if isinstance(parent, list):
                if last == "-":
                    parent.append(copy.deepcopy(op["value"]))
                else:
                    parent.insert(int(last), copy.deepcopy(op["value"]))
            else:
                parent[last] = copy.deepcopy(op["value"])
        else:
            raise ValueError("op %r is not implemented here" % kind)
    return doc


def _matches(doc, target):
    api = doc.get("apiVersion", "")
    group, _, version = api.rpartition("/")
    meta = doc.get("metadata") or {}
    for key, value in (("group", group), ("version", version), ("kind", doc.get("kind")),
                       ("name", meta.get("name")), ("namespace", meta.get("namespace"))):
        if key in target and target[key] != value:
            return False
    return True


def split_image(image):
    """"reg:5000/a/b:tag@sha256:..." -> (name, tag, digest)."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        image, tag = image[:colon], image[colon + 1:]
    return image, tag, digest


def _containers(doc):
    spec, _ = pod_spec_of(doc)
    if spec is None:
        return []
    return (spec.get("containers") or []) + (spec.get("initContainers") or [])


def render(directory):
    """The objects `kustomize build directory` gives, for the fields above."""
    problems = check_kustomization(directory)
    if problems:
        raise ValueError("; ".join(problems))
    k = load_docs(kustomization_file(directory))[0]
    docs = []
    for r in k.get("resources") or []:
        p = os.path.normpath(os.path.join(directory, r))
        docs.extend(render(p) if os.path.isdir(p) else load_docs(p))
    for patch in k.get("patches") or []:
        if "path" in patch:
            ops = load_docs(os.path.join(directory, patch["path"]))
            ops = ops[0] if len(ops) == 1 else ops
        else:
            ops = yaml.safe_load(patch["patch"])
        if not isinstance(ops, list):
            raise ValueError("only JSON 6902 patches are rendered here")
        target = patch.get("target") or {}
        hit = [i for i, d in enumerate(docs) if _matches(d, target)]
        if not hit:
            raise ValueError("patch target %r matches nothing" % target)
        for i in hit:
            docs[i] = json6902(docs[i], ops)
    if "namespace" in k:
        for d in docs:
            if d.get("kind") == "Namespace":
                d["metadata"]["name"] = k["namespace"]
            elif d.get("kind") in NAMESPACED_KINDS:
                d.setdefault("metadata", {})["namespace"] = k["namespace"]
    for img in k.get("images") or []:
        for d in docs:
            for c in _containers(d):
                name, tag, digest = split_image(c.get("image", ""))
                if name != img["name"]:
                    continue
                name = img.get("newName", name)
                if "digest" in img:
                    c["image"] = "%s@%s" % (name, img["digest"])
                else:
                    if "newTag" in img:
                        tag, digest = img["newTag"], None
                    c["image"] = name + (":" + tag if tag else "") + ("@" + digest if digest else "")
    return docs


# ------------------------------------------------------------- pods

def pod_from_template(obj, pod_name, node_name="node"):
    """The Pod a DaemonSet/Job controller makes from obj's template, with
    $(VAR) references in command/args expanded as the kubelet does."""
    spec, tmeta = pod_spec_of(obj)
    spec = copy.deepcopy(spec)
    meta = copy.deepcopy(tmeta)
    meta["name"] = pod_name
    meta["namespace"] = (obj.get("metadata") or {}).get("namespace", "default")
    fields = {"metadata.name": pod_name, "metadata.namespace": meta["namespace"],
              "spec.nodeName": node_name}
    if obj.get("kind") == "Job":
        spec.setdefault("restartPolicy", "Never")
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        env = {}
        for e in c.get("env") or []:
            if "value" in e:
                env[e["name"]] = _expand(e["value"], env)
            fr = (e.get("valueFrom") or {}).get("fieldRef")
            if fr and fr.get("fieldPath") in fields:
                env[e["name"]] = fields[fr["fieldPath"]]
        for key in ("command", "args"):
            if key in c:
                c[key] = [_expand(w, env) for w in c[key]]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def arg_value(args, flag):
    """The values of `--flag VALUE` / `--flag=VALUE` in an argument list."""
    out = []
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            out.append(args[i + 1])
        elif a.startswith(flag + "="):
            out.append(a.split("=", 1)[1])
    return out
