#!/usr/bin/python3
"""Checks the namespaces of the Kubernetes manifests in k8s/.

kustomize sets a kustomization's `namespace` on every resource it
includes, those of the kustomizations it includes as well, and the
outermost one wins. Strimzi's Topic and User Operators watch namespace
kafka only, so the KafkaTopic and KafkaUser resources must end up there,
and everything else in changeledger: a `namespace: changeledger` over the
Kafka resources once moved them where no operator saw them.

The check follows k8s/kustomization.yaml as kustomize does (resources,
files or directories, and the ConfigMaps and Secrets generated), and where
kubectl is installed it also renders k8s/ with `kubectl kustomize`
(offline) and checks what comes out. Every manifest under k8s/ must be
part of the rendering, so that none is left behind by a change of layout.
Exits non-zero on the first failed check.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

ARGS = None

SERVICES_NAMESPACE = "changeledger"
# Kinds whose resources go elsewhere than SERVICES_NAMESPACE.
NAMESPACE_OF_KIND = {"KafkaTopic": "kafka", "KafkaUser": "kafka"}
# Kinds kustomize knows to have no namespace (the ones used here).
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
}
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class Resource:
    def __init__(self, kind, name, namespace, source):
        self.kind, self.name, self.namespace, self.source = kind, name, namespace, source

    def __repr__(self):
        return f"{self.kind}/{self.name} in {self.namespace} (from {self.source})"


def kustomization_file(directory):
    for name in KUSTOMIZATION_FILES:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise AssertionError(f"{directory}: no kustomization file")


def build(directory, outer_namespace=None, files=None):
    """The resources `directory`'s kustomization renders, with their namespaces.

    `outer_namespace` is the namespace of the kustomizations that include
    this one (the outermost that sets one); it replaces this one's. Adds the
    files read to `files`.
    """
    if files is None:
        files = set()
    path = kustomization_file(directory)
    files.add(os.path.realpath(path))
    with open(path, encoding="utf-8") as f:
        kustomization = yaml.safe_load(f) or {}
    namespace = outer_namespace or kustomization.get("namespace")
    resources = []
    for field in ("resources", "bases", "components"):
        for entry in kustomization.get(field) or []:
            if "://" in entry or entry.startswith("github.com/"):
                raise AssertionError(f"{path}: remote resource {entry} cannot be checked")
            target = os.path.normpath(os.path.join(directory, entry))
            if os.path.isdir(target):
                resources += build(target, namespace, files)
                continue
            files.add(os.path.realpath(target))
            with open(target, encoding="utf-8") as f:
                for doc in yaml.safe_load_all(f):
                    if not doc:
                        continue
                    kind = doc["kind"]
                    metadata = doc.get("metadata") or {}
                    own = metadata.get("namespace")
                    effective = None if kind in CLUSTER_SCOPED else (namespace or own)
                    resources.append(Resource(kind, metadata["name"], effective, target))
    generators = (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret"))
    for field, kind in generators:
        for generator in kustomization.get(field) or []:
            resources.append(Resource(kind, generator["name"],
                                      namespace or generator.get("namespace"), path))
    return resources


def kubectl():
    return shutil.which("kubectl")


def render(directory):
    """What `kubectl kustomize` renders from `directory`, as Resources."""
    out = subprocess.run([kubectl(), "kustomize", directory], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    resources = []
    for doc in yaml.safe_load_all(out):
        if doc:
            metadata = doc["metadata"]
            resources.append(Resource(doc["kind"], metadata["name"],
                                      metadata.get("namespace"), "kubectl kustomize"))
    return resources


def misplaced(resources):
    """The resources outside the namespace their kind belongs in."""
    wrong = []
    for r in resources:
        expected = (None if r.kind in CLUSTER_SCOPED
                    else NAMESPACE_OF_KIND.get(r.kind, SERVICES_NAMESPACE))
        if r.namespace != expected:
            wrong.append(f"{r!r}, expected {expected}")
    return wrong


class K8sNamespaces(unittest.TestCase):
    def test_each_resource_is_in_its_namespace(self):
        resources = build(ARGS.k8s)
        kinds = {r.kind for r in resources}
        for kind in ("KafkaTopic", "KafkaUser", "StatefulSet", "Namespace"):
            self.assertIn(kind, kinds)
        self.assertEqual(misplaced(resources), [])

    def test_every_manifest_is_rendered(self):
        files = set()
        build(ARGS.k8s, files=files)
        left_out = []
        for root, _, names in os.walk(ARGS.k8s):
            for name in names:
                path = os.path.realpath(os.path.join(root, name))
                if name.endswith((".yaml", ".yml")) and path not in files:
                    left_out.append(path)
        self.assertEqual(left_out, [])

    def test_the_outermost_namespace_wins(self):
        # The rule the check relies on, on the layout that once put the
        # Kafka resources in changeledger: an outer kustomization with a
        # namespace over an inner one that sets kafka.
        with tempfile.TemporaryDirectory(prefix="k8s_manifests.") as tmp:
            os.mkdir(os.path.join(tmp, "kafka"))
            files = {
                "kustomization.yaml":
                    "namespace: changeledger\nresources:\n  - kafka\n",
                "kafka/kustomization.yaml":
                    "namespace: kafka\nresources:\n  - topic.yaml\n",
                "kafka/topic.yaml":
                    "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\n"
                    "metadata:\n  name: t\n  namespace: kafka\n",
            }
            for name, content in files.items():
                with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                    f.write(content)
            modelled = build(tmp)
            self.assertEqual([(r.kind, r.namespace) for r in modelled],
                             [("KafkaTopic", "changeledger")])
            self.assertEqual(len(misplaced(modelled)), 1)
            if kubectl():
                self.assertEqual([(r.kind, r.namespace) for r in render(tmp)],
                                 [("KafkaTopic", "changeledger")])

    @unittest.skipUnless(kubectl(), "kubectl not installed")
    def test_kustomize_renders_each_resource_in_its_namespace(self):
        rendered = render(ARGS.k8s)
        self.assertLessEqual({"KafkaTopic", "KafkaUser", "StatefulSet"},
                             {r.kind for r in rendered})
        self.assertEqual(misplaced(rendered), [])
        # The same resources as modelled (generated names carry a hash).
        self.assertEqual(sorted(r.kind for r in rendered),
                         sorted(r.kind for r in build(ARGS.k8s)))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("k8s", help="the k8s/ directory")
    ARGS = parser.parse_args()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(K8sNamespaces)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
