"""Writes the small RNTuple files of tests/rntuple.rs (PyROOT 6.40, `pip install root==0.1a12`).

Usage: python3 make_rntuple_files.py OUTDIR

One file per codec (`types_zlib.root`, `types_lz4.root`, `types_lzma.root`, `types_zstd.root`,
`types_none.root`), each holding the RNTuple `t`: every field type the reader supports, 50
entries in clusters of 13 (committed by hand), small pages (several per cluster), page checksums
on except in the uncompressed file (whose columns are the unsplit kinds). Files are written from
inside OUTDIR under bare names so no machine path ends up in them. Values are deterministic.

`root_reads.json` holds ROOT's own reading of two fields where uproot 5.7.7 differs from ROOT.

`extra.root` holds the RNTuple `extra`: a float with two column representations switching per
cluster (suppressed columns), fields added while writing (deferred columns), std::optional,
std::tuple, std::atomic, projected fields (a cardinality, a vector), and two types the reader
refuses (std::variant, std::bitset). Its golden values are `extra.json`
(`dump_uproot.py extra.root extra extra.json x opt st tup at nst st_proj late late_v`), except
`multi`, which uproot 5.7.7 misreads in the clusters stored as Real16 (ROOT's own RNTupleReader
reads `0.75 * i - 3`, as written: `root_reads.json`).
"""

import json
import os
import sys

import ROOT

ROOT.gInterpreter.Declare(
    r"""
#include <array>
#include <atomic>
#include <bitset>
#include <optional>
#include <tuple>
#include <variant>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <ROOT/RNTupleModel.hxx>
#include <ROOT/RNTupleWriter.hxx>
#include <ROOT/RNTupleWriteOptions.hxx>
#include <ROOT/RField.hxx>
#include <ROOT/RVec.hxx>

struct AnacPoint {
   float x;
   std::int32_t n;
   double w;
};

struct AnacHit {
   float e;
   std::int16_t id;
};

void anac_make_rntuple(const char *file, int compression, bool checksums)
{
   auto model = ROOT::RNTupleModel::Create();
   auto b = model->MakeField<bool>("b");
   auto i8 = model->MakeField<std::int8_t>("i8");
   auto u8 = model->MakeField<std::uint8_t>("u8");
   auto i16 = model->MakeField<std::int16_t>("i16");
   auto u16 = model->MakeField<std::uint16_t>("u16");
   auto i32 = model->MakeField<std::int32_t>("i32");
   auto u32 = model->MakeField<std::uint32_t>("u32");
   auto i64 = model->MakeField<std::int64_t>("i64");
   auto u64 = model->MakeField<std::uint64_t>("u64");
   auto f = model->MakeField<float>("f");
   auto d = model->MakeField<double>("d");
   {
      auto fh = std::make_unique<ROOT::RField<float>>("f_half");
      fh->SetHalfPrecision();
      model->AddField(std::move(fh));
      auto dh = std::make_unique<ROOT::RField<double>>("d_half");
      dh->SetHalfPrecision();
      model->AddField(std::move(dh));
      auto ft = std::make_unique<ROOT::RField<float>>("f_trunc");
      ft->SetTruncated(14);
      model->AddField(std::move(ft));
      auto fq = std::make_unique<ROOT::RField<float>>("f_quant");
      fq->SetQuantized(11, {-10.0f, 10.0f});
      model->AddField(std::move(fq));
      auto dq = std::make_unique<ROOT::RField<double>>("d_quant");
      dq->SetQuantized(20, {-1000.0, 3000.0});
      model->AddField(std::move(dq));
      auto dt = std::make_unique<ROOT::RField<double>>("d_trunc");
      dt->SetTruncated(20);
      model->AddField(std::move(dt));
      auto d32 = std::make_unique<ROOT::RField<double>>("d_as_float");
      d32->SetDouble32();
      model->AddField(std::move(d32));
   }
   auto s = model->MakeField<std::string>("s");
   auto vf = model->MakeField<std::vector<float>>("vf");
   auto vi = model->MakeField<ROOT::RVec<std::int32_t>>("vi");
   auto vb = model->MakeField<std::vector<bool>>("vb");
   auto vu64 = model->MakeField<std::vector<std::uint64_t>>("vu64");
   {
      // A collection with 32-bit (split) offsets.
      auto v32 = std::make_unique<ROOT::RField<std::vector<double>>>("vd32");
      v32->SetColumnRepresentatives({{compression == 0 ? ROOT::ENTupleColumnType::kIndex32
                                                        : ROOT::ENTupleColumnType::kSplitIndex32}});
      model->AddField(std::move(v32));
   }
   auto vvf = model->MakeField<std::vector<std::vector<float>>>("vvf");
   auto vvi = model->MakeField<std::vector<ROOT::RVec<std::int64_t>>>("vvi");
   auto vs = model->MakeField<std::vector<std::string>>("vs");
   auto arr = model->MakeField<std::array<float, 3>>("arr");
   auto arri = model->MakeField<std::array<std::int16_t, 2>>("arri");
   auto pt = model->MakeField<AnacPoint>("pt");
   auto pr = model->MakeField<std::pair<float, std::int32_t>>("pr");
   auto hits = model->MakeField<std::vector<AnacHit>>("hits");

   auto d_half = model->GetDefaultEntry().GetPtr<double>("d_half");
   auto f_half = model->GetDefaultEntry().GetPtr<float>("f_half");
   auto f_trunc = model->GetDefaultEntry().GetPtr<float>("f_trunc");
   auto f_quant = model->GetDefaultEntry().GetPtr<float>("f_quant");
   auto d_as_float = model->GetDefaultEntry().GetPtr<double>("d_as_float");
   auto d_quant = model->GetDefaultEntry().GetPtr<double>("d_quant");
   auto d_trunc = model->GetDefaultEntry().GetPtr<double>("d_trunc");
   auto vd32 = model->GetDefaultEntry().GetPtr<std::vector<double>>("vd32");

   ROOT::RNTupleWriteOptions opts;
   opts.SetCompression(compression);
   opts.SetEnablePageChecksums(checksums);
   opts.SetInitialUnzippedPageSize(64);
   opts.SetMaxUnzippedPageSize(128);
   auto writer = ROOT::RNTupleWriter::Recreate(std::move(model), "t", file, opts);
   for (int i = 0; i < 50; ++i) {
      *b = (i % 3) == 1;
      *i8 = static_cast<std::int8_t>(i * 5 - 120);
      *u8 = static_cast<std::uint8_t>(i * 5);
      *i16 = static_cast<std::int16_t>(i * 1000 - 25000);
      *u16 = static_cast<std::uint16_t>(i * 1300);
      *i32 = i * 123457 - 3000000;
      *u32 = 4000000000u - i * 7u;
      *i64 = (std::int64_t(i) - 25) * 1000000000007LL;
      *u64 = 18000000000000000000ULL + i;
      *f = std::sin(i * 0.7f) * 100.0f;
      *d = std::cos(i * 0.3) * 1e5 + 1.0 / (i + 1);
      *f_half = std::sin(i * 0.5f) * 30.0f;
      *d_half = std::cos(i * 0.5) * 300.0;
      *f_trunc = std::sin(i * 0.9f) * 7.0f;
      *f_quant = std::sin(i * 1.1f) * 9.5f;
      *d_as_float = std::sqrt(i + 0.5) * 3.3;
      *d_quant = std::cos(i * 0.37) * 1999.0 + 1000.0;
      *d_trunc = std::exp(i * 0.21) - 7.0;
      *s = std::string(i % 7, 'a' + (i % 26)) + (i % 5 == 0 ? std::string(300, 'x') : std::string());
      vf->clear();
      for (int k = 0; k < (i * 7) % 5; ++k)
         vf->push_back(i + k * 0.25f);
      vi->clear();
      for (int k = 0; k < (i % 4); ++k)
         vi->push_back(-i * 100 + k);
      vb->clear();
      for (int k = 0; k < (i % 6); ++k)
         vb->push_back(((i + k) % 3) == 0);
      vu64->clear();
      for (int k = 0; k < (i % 3); ++k)
         vu64->push_back(10000000000000000000ULL + i * 11 + k);
      vd32->clear();
      for (int k = 0; k < (i % 5); ++k)
         vd32->push_back(i * 1.5 - k / 3.0);
      vvf->clear();
      for (int k = 0; k < (i % 4); ++k) {
         std::vector<float> inner;
         for (int m = 0; m < (i + k) % 3; ++m)
            inner.push_back(i * 10 + k + m * 0.5f);
         vvf->push_back(inner);
      }
      vvi->clear();
      for (int k = 0; k < (i % 3); ++k) {
         ROOT::RVec<std::int64_t> inner;
         for (int m = 0; m < (i * k) % 4; ++m)
            inner.push_back(-(std::int64_t(i) << 33) + k * 7 + m);
         vvi->push_back(inner);
      }
      vs->clear();
      for (int k = 0; k < (i % 3); ++k)
         vs->push_back(std::string(k + (i % 4), 'A' + k));
      *arr = {i * 1.0f, i * 2.0f + 0.5f, -i * 0.25f};
      *arri = {static_cast<std::int16_t>(i - 20), static_cast<std::int16_t>(i * 3)};
      pt->x = i * 0.125f;
      pt->n = -i;
      pt->w = i * 1e-3;
      *pr = {i * 2.5f, i * i};
      hits->clear();
      for (int k = 0; k < (i % 5); ++k)
         hits->push_back(AnacHit{i + k * 0.5f, static_cast<std::int16_t>(i * 10 + k)});
      writer->Fill();
      if ((i + 1) % 13 == 0)
         writer->CommitCluster();
   }
}

void anac_make_extra(const char *file)
{
   auto model = ROOT::RNTupleModel::Create();
   auto x = model->MakeField<std::int32_t>("x");
   {
      // Two representations of one float: each cluster keeps one, the other is suppressed.
      auto multi = std::make_unique<ROOT::RField<float>>("multi");
      multi->SetColumnRepresentatives({{ROOT::ENTupleColumnType::kSplitReal32}, {ROOT::ENTupleColumnType::kReal16}});
      model->AddField(std::move(multi));
   }
   auto opt = model->MakeField<std::optional<float>>("opt");
   auto st = model->MakeField<std::vector<std::int32_t>>("st");
   auto tup = model->MakeField<std::tuple<std::int32_t, double, std::string>>("tup");
   auto at = model->MakeField<std::atomic<std::int32_t>>("at");
   auto var = model->MakeField<std::variant<std::int32_t, float>>("var");
   auto bits = model->MakeField<std::bitset<5>>("bits");
   model->AddProjectedField(std::make_unique<ROOT::RField<ROOT::RNTupleCardinality<std::uint64_t>>>("nst"),
                            [](const std::string &) { return std::string("st"); });
   model->AddProjectedField(std::make_unique<ROOT::RField<std::vector<std::int32_t>>>("st_proj"),
                            [](const std::string &name) {
                               return name == "st_proj" ? std::string("st") : std::string("st._0");
                            });
   auto multi = model->GetDefaultEntry().GetPtr<float>("multi");

   ROOT::RNTupleWriteOptions opts;
   opts.SetCompression(505);
   opts.SetInitialUnzippedPageSize(64);
   opts.SetMaxUnzippedPageSize(128);
   auto writer = ROOT::RNTupleWriter::Recreate(std::move(model), "extra", file, opts);
   std::shared_ptr<float> late;
   std::shared_ptr<std::vector<std::int32_t>> late_v;
   for (int i = 0; i < 40; ++i) {
      if (i == 17) {
         // Fields added while writing: deferred columns, zeros (empty lists) before entry 17.
         auto updater = writer->CreateModelUpdater();
         updater->BeginUpdate();
         updater->AddField(std::make_unique<ROOT::RField<float>>("late"));
         updater->AddField(std::make_unique<ROOT::RField<std::vector<std::int32_t>>>("late_v"));
         updater->CommitUpdate();
         late = writer->GetModel().GetDefaultEntry().GetPtr<float>("late");
         late_v = writer->GetModel().GetDefaultEntry().GetPtr<std::vector<std::int32_t>>("late_v");
      }
      *x = i;
      *multi = i * 0.75f - 3.0f;
      if (i % 3 == 0)
         opt->reset();
      else
         *opt = i * 1.5f;
      st->clear();
      for (int k = 0; k < i % 4; ++k)
         st->push_back((i * 7 + k * 13) % 10);
      *tup = {i * 3, i / 7.0, std::string(i % 4, 'q')};
      *at = -i;
      if (i % 2)
         *var = i;
      else
         *var = i * 0.5f;
      *bits = std::bitset<5>(i % 32);
      if (late) {
         *late = i * 2.25f;
         late_v->assign(i % 3, i);
      }
      writer->Fill();
      if ((i + 1) % 10 == 0) {
         writer->CommitCluster();
         auto &field = const_cast<ROOT::RFieldBase &>(writer->GetModel().GetConstField("multi"));
         ROOT::Internal::RFieldRepresentationModifier::SetPrimaryColumnRepresentation(field, ((i + 1) / 10) % 2);
      }
   }
}
"""
)

CODECS = {"zlib": 101, "lz4": 404, "lzma": 207, "zstd": 505, "none": 0}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    os.chdir(out)
    for name, setting in CODECS.items():
        ROOT.anac_make_rntuple(f"types_{name}.root", setting, setting != 0)
    ROOT.anac_make_extra("extra.root")
    # Where uproot 5.7.7 and ROOT disagree, ROOT's own reader is the reference: doubles stored
    # as Real32Quant (uproot rounds them to float) and a float whose clusters switch between
    # two column representations (uproot misreads the Real16 clusters).
    reads = {}
    for file, ntuple, field, ty in [
        ("types_zlib.root", "t", "d_quant", "double"),
        ("extra.root", "extra", "multi", "float"),
    ]:
        reader = ROOT.RNTupleReader.Open(ntuple, file)
        view = reader.GetView[ty](field)
        reads[f"{ntuple}:{field}"] = [view(i) for i in range(reader.GetNEntries())]
        del view
        del reader
    with open("root_reads.json", "w") as f:
        json.dump(reads, f, sort_keys=True)


if __name__ == "__main__":
    main()
