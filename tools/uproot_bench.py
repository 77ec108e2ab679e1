"""uproot's single-threaded throughput on the same reads as the Rust `bench_read` test."""
import glob, os, time
import uproot

data = os.path.join(os.path.dirname(__file__), "../../shared/data/agc-small")
files = sorted(glob.glob(os.path.join(data, "*.root")))
agc = ["nJet", "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_btagCSVV2", "Jet_jetId",
       "nElectron", "Electron_pt", "Electron_eta", "Electron_cutBased", "nMuon", "Muon_pt",
       "Muon_eta", "Muon_tightId", "genWeight", "event"]
for label, branches in [("agc", agc), ("all", None)]:
    t0 = time.perf_counter(); events = 0
    for p in files:
        t = uproot.open(p)["Events"]
        t.arrays(branches, library="ak")
        events += t.num_entries
    dt = time.perf_counter() - t0
    print(f"UPROOT {label}: {events} events in {dt:.3f} s = {events / dt:.0f} events/s")
