#!/usr/bin/python3
"""End-to-end test of the intake service from a second language.

Generates Python stubs from proto/ into a temp dir (never a folder named
grpc/), starts the intake binary on a free port with a tokens file, drives a
proposal through the front door to approval as three different principals,
and checks the change that the approval registered. Exits non-zero on the
first failed check.
"""
import argparse
import datetime
import os
import re
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ARGS = None

TOKENS = {
    "alice": ("proposer-token-alice-0123456789", "proposer"),
    "chair": ("panel-token-chair-0123456789", "panel"),
    "office": ("office-token-0123456789", "portfolio_office"),
    "audit": ("auditor-token-0123456789", "auditor"),
}


def generate_stubs(out_dir):
    protos = [
        "changeledger/common/v1/types.proto",
        "changeledger/intake/v1/change.proto",
        "changeledger/intake/v1/events.proto",
        "changeledger/intake/v1/intake.proto",
    ]
    subprocess.run(
        [ARGS.protoc, "-I", ARGS.proto_root, "-I", "/usr/include",
         "--python_out=" + out_dir, "--grpc_out=" + out_dir,
         "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin"] + protos,
        check=True)


class IntakeE2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="intake_python_e2e.")
        stubs = os.path.join(cls.tmp, "stubs")
        os.makedirs(stubs)
        generate_stubs(stubs)
        sys.path.insert(0, stubs)
        global grpc, intake_pb2, intake_pb2_grpc, events_pb2, change_pb2
        import grpc  # noqa: F401  (Debian's python3-grpcio)
        from changeledger.intake.v1 import intake_pb2, intake_pb2_grpc, events_pb2, change_pb2

        tokens = os.path.join(cls.tmp, "tokens.yaml")
        # The service refuses a tokens file other users may read.
        with open(os.open(tokens, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("tokens:\n")
            for principal, (token, role) in TOKENS.items():
                f.write(f'  - {{principal: {principal}, token: "{token}", roles: [{role}]}}\n')
        cls.proc = subprocess.Popen(
            [ARGS.intake, "--grpc-listen", "127.0.0.1:0", "--metrics-listen", "",
             "--data-dir", os.path.join(cls.tmp, "data"), "--auth-tokens-file", tokens],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # A thread drains stderr for the whole run (a full pipe would block
        # the server) and hands over the line that reports the port.
        ports = queue.Queue()

        def drain():
            for line in cls.proc.stderr:
                match = re.search(r"grpc_port=(\d+)", line)
                if match:
                    ports.put(int(match.group(1)))
                if os.environ.get("INTAKE_E2E_VERBOSE"):
                    sys.stderr.write(line)

        threading.Thread(target=drain, daemon=True).start()
        try:
            port = ports.get(timeout=30)
        except queue.Empty:
            port = None
        if port is None:
            cls.tearDownClass()
            raise RuntimeError("intake did not report its port")
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(cls.channel).result(timeout=10)
        cls.stub = intake_pb2_grpc.IntakeServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "channel", None) is not None:
            cls.channel.close()
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.exit_code = cls.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
                cls.exit_code = None
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def call(self, method, request, who):
        token = TOKENS[who][0]
        return getattr(self.stub, method)(
            request, metadata=[("authorization", "Bearer " + token)], timeout=10)

    def attributes(self):
        a = change_pb2.ChangeAttributes(
            title="Machine translation pilot",
            description="Pilot machine translation for victim contact",
            business_area="FP", sponsor="Commander Frontline Policing",
            teams=["Contact", "Digital Policing"], data_and_digital=True)
        a.estimated_cost.currency_code = "GBP"
        a.estimated_cost.amount_minor = 25_000_000
        a.planned_start.year, a.planned_start.month, a.planned_start.day = 2021, 9, 1
        a.planned_end.year, a.planned_end.month, a.planned_end.day = 2022, 3, 31
        a.features.tests_hypothesis = True
        a.features.technology_and_data_implications = True
        a.features.clarity_of_aims = change_pb2.AIMS_CLARITY_EVOLVING
        a.features.impacted_stakeholder_groups = 2
        return a

    def test_proposal_through_the_front_door_registers_a_change(self):
        areas = self.call("ListBusinessAreas", intake_pb2.ListBusinessAreasRequest(), "audit")
        self.assertIn("FP", [a.code for a in areas.business_areas])

        p = self.call("CreateProposal", intake_pb2.CreateProposalRequest(
            request_id="py-create-1", attributes=self.attributes()), "alice")
        self.assertEqual(p.state, intake_pb2.PROPOSAL_STATE_DRAFT)
        self.assertEqual(p.proposer, "alice")
        again = self.call("CreateProposal", intake_pb2.CreateProposalRequest(
            request_id="py-create-1", attributes=self.attributes()), "alice")
        self.assertEqual(again.name, p.name, "same request_id, same proposal")

        p = self.call("SubmitProposal", intake_pb2.SubmitProposalRequest(
            name=p.name, expected_version=p.version), "alice")
        self.assertEqual(p.state, intake_pb2.PROPOSAL_STATE_SUBMITTED)
        p = self.call("StartAssessment", intake_pb2.StartAssessmentRequest(name=p.name), "chair")

        bad = intake_pb2.RecordAssessmentRequest(name=p.name)
        bad.desirable.score, bad.desirable.rationale = 6, "very"
        bad.deliverable.score, bad.deliverable.rationale = 3, "ok"
        bad.affordable.score, bad.affordable.rationale = 3, "ok"
        with self.assertRaises(grpc.RpcError) as caught:
            self.call("RecordAssessment", bad, "chair")
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("desirable.score: must be 1..5", caught.exception.details())

        good = intake_pb2.RecordAssessmentRequest(name=p.name)
        for score, value in ((good.desirable, 4), (good.deliverable, 3), (good.affordable, 4)):
            score.score, score.rationale = value, "panel view"
        p = self.call("RecordAssessment", good, "chair")
        self.assertEqual(len(p.assessments), 1)

        decide = intake_pb2.DecideProposalRequest(
            name=p.name, outcome=events_pb2.DECISION_OUTCOME_APPROVED,
            conditions=["benefits profile within three months"],
            chair="DAC Corporate Services", expected_version=p.version)
        decide.meeting_date.year, decide.meeting_date.month, decide.meeting_date.day = 2021, 7, 14
        with self.assertRaises(grpc.RpcError) as caught:
            self.call("DecideProposal", decide, "alice")
        self.assertEqual(caught.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        with self.assertRaises(grpc.RpcError) as caught:
            self.call("DecideProposal", decide, "chair")
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("meeting_date: before the proposal was submitted", caught.exception.details())
        today = datetime.datetime.now(datetime.timezone.utc).date()
        decide.meeting_date.year, decide.meeting_date.month, decide.meeting_date.day = (
            today.year, today.month, today.day)
        p = self.call("DecideProposal", decide, "chair")
        self.assertEqual(p.state, intake_pb2.PROPOSAL_STATE_APPROVED)
        self.assertTrue(p.change.startswith("changes/"))

        change = self.call("GetChange", intake_pb2.GetChangeRequest(name=p.change), "audit")
        self.assertEqual(change.status, change_pb2.CHANGE_STATUS_REGISTERED)
        self.assertEqual(change.origin.proposal_id, p.name.split("/")[1])
        self.assertEqual(change.attributes, self.attributes())

        listed = self.call("ListChanges", intake_pb2.ListChangesRequest(
            business_area="FP", data_and_digital=True, page_size=10), "audit")
        self.assertEqual([c.name for c in listed.changes], [p.change])
        self.assertEqual(listed.next_page_token, "")

        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.GetChange(intake_pb2.GetChangeRequest(name=p.change), timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--intake", required=True)
    parser.add_argument("--proto-root", required=True)
    parser.add_argument("--protoc", default="protoc")
    ARGS, rest = parser.parse_known_args()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(IntakeE2E)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    exit_code = getattr(IntakeE2E, "exit_code", "not stopped")
    if exit_code != 0:
        print(f"intake exited with {exit_code} after SIGTERM (expected 0)", file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
