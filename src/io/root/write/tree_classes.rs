//! The tree half of anac's class table: `TTree`, `TBranch`, `TLeaf` and `ROOT::TIOFeatures`.
//!
//! Same contract as [`super::classes`]: members in the order `tree` serializes them, with ROOT 6.x
//! versions and checksums.

use super::classes::ClassInfo;
use super::classes::build::*;

const TREE_COUNT: (&str, &str, i32) = ("fNClusterRange", "TTree", 20);
const BRANCH_COUNT: (&str, &str, i32) = ("fMaxBaskets", "TBranch", 13);

pub static CLASSES: &[ClassInfo] = &[
    ClassInfo {
        name: "ROOT::TIOFeatures",
        version: 1,
        checksum: 0x1aa1_2f10,
        elems: &[basic("fIOBits", "I/O feature bits", UCHAR)],
        needs: &[],
    },
    ClassInfo {
        name: "TTree",
        version: 20,
        checksum: 0x7264_e07f,
        elems: &[
            TNAMED_BASE,
            TATTLINE_BASE,
            TATTFILL_BASE,
            TATTMARKER_BASE,
            basic("fEntries", "Number of entries", LONG64),
            basic(
                "fTotBytes",
                "Bytes in all branches before compression",
                LONG64,
            ),
            basic(
                "fZipBytes",
                "Bytes in all branches after compression",
                LONG64,
            ),
            basic("fSavedBytes", "Autosaved bytes", LONG64),
            basic("fFlushedBytes", "Auto-flushed bytes", LONG64),
            basic("fWeight", "Tree weight", DOUBLE),
            basic("fTimerInterval", "Timer interval (ms)", INT),
            basic("fScanField", "Runs before prompting in Scan", INT),
            basic("fUpdate", "Update frequency for entry loops", INT),
            basic(
                "fDefaultEntryOffsetLen",
                "Initial entry-offset table length",
                INT,
            ),
            basic("fNClusterRange", "Number of extra cluster ranges", COUNTER),
            basic("fMaxEntries", "Maximum entries (circular trees)", LONG64),
            basic("fMaxEntryLoop", "Maximum entries to process", LONG64),
            basic("fMaxVirtualSize", "Maximum buffer memory", LONG64),
            basic("fAutoSave", "Autosave period", LONG64),
            basic("fAutoFlush", "Auto-flush period (entries if > 0)", LONG64),
            basic("fEstimate", "Entries to estimate histogram limits", LONG64),
            counted(
                "fClusterRangeEnd",
                "[fNClusterRange] Last entry of each cluster range",
                LONG64,
                "Long64_t*",
                TREE_COUNT,
            ),
            counted(
                "fClusterSize",
                "[fNClusterRange] Cluster size of each range",
                LONG64,
                "Long64_t*",
                TREE_COUNT,
            ),
            any("fIOFeatures", "I/O features", 1, "ROOT::TIOFeatures"),
            object("fBranches", "Branches", 64, "TObjArray"),
            object("fLeaves", "All leaves of all branches", 64, "TObjArray"),
            pointer("fAliases", "Aliases", false, "TList*"),
            any("fIndexValues", "Sorted index values", 24, "TArrayD"),
            any("fIndex", "Index of sorted values", 24, "TArrayI"),
            pointer("fTreeIndex", "Tree index", false, "TVirtualIndex*"),
            pointer("fFriends", "Friend trees", false, "TList*"),
            pointer("fUserInfo", "User objects", false, "TList*"),
            pointer("fBranchRef", "Reference branch", false, "TBranchRef*"),
        ],
        needs: &[
            "TNamed",
            "TAttLine",
            "TAttFill",
            "TAttMarker",
            "ROOT::TIOFeatures",
            "TBranch",
            "TObjArray",
            "TList",
            "TString",
        ],
    },
    ClassInfo {
        name: "TBranch",
        version: 13,
        checksum: 0x1097_8aac,
        elems: &[
            TNAMED_BASE,
            TATTFILL_BASE,
            basic("fCompress", "Compression setting", INT),
            basic("fBasketSize", "Initial basket buffer size", INT),
            basic("fEntryOffsetLen", "Initial entry-offset table length", INT),
            basic("fWriteBasket", "Number of baskets written", INT),
            basic("fEntryNumber", "Entries filled", LONG64),
            any("fIOFeatures", "I/O features", 1, "ROOT::TIOFeatures"),
            basic("fOffset", "Offset of this branch", INT),
            basic("fMaxBaskets", "Capacity of the basket tables", COUNTER),
            basic("fSplitLevel", "Split level", INT),
            basic("fEntries", "Number of entries", LONG64),
            basic("fFirstEntry", "First entry of this branch", LONG64),
            basic("fTotBytes", "Bytes before compression", LONG64),
            basic("fZipBytes", "Bytes after compression", LONG64),
            object("fBranches", "-> Sub-branches", 64, "TObjArray"),
            object("fLeaves", "-> Leaves", 64, "TObjArray"),
            object("fBaskets", "-> Baskets in memory", 64, "TObjArray"),
            counted(
                "fBasketBytes",
                "[fMaxBaskets] Size of each basket on file",
                INT,
                "int*",
                BRANCH_COUNT,
            ),
            counted(
                "fBasketEntry",
                "[fMaxBaskets] First entry of each basket",
                LONG64,
                "Long64_t*",
                BRANCH_COUNT,
            ),
            counted(
                "fBasketSeek",
                "[fMaxBaskets] File position of each basket",
                LONG64,
                "Long64_t*",
                BRANCH_COUNT,
            ),
            string("fFileName", "File holding the baskets (empty: this file)"),
        ],
        needs: &[
            "TNamed",
            "TAttFill",
            "ROOT::TIOFeatures",
            "TObjArray",
            "TString",
        ],
    },
    ClassInfo {
        name: "TBranchElement",
        version: 10,
        checksum: 0xe74f_5e63,
        elems: &[
            base("TBranch", "Branch descriptor", 13, 0x1097_8aac),
            string("fClassName", "Class of the branch's objects"),
            string("fParentName", "Name of the parent class"),
            string("fClonesName", "Class inside a TClonesArray or collection"),
            basic("fCheckSum", "Checksum of the class", UINT),
            basic("fClassVersion", "Version of the class", SHORT),
            basic("fID", "Element number in the streamer info", INT),
            basic("fType", "Branch type", INT),
            basic("fStreamerType", "Streamer type of the element", INT),
            basic("fMaximum", "Maximum entries of a variable array", INT),
            pointer(
                "fBranchCount",
                "Primary count branch",
                false,
                "TBranchElement*",
            ),
            pointer(
                "fBranchCount2",
                "Secondary count branch",
                false,
                "TBranchElement*",
            ),
        ],
        needs: &["TBranch"],
    },
    ClassInfo {
        name: "TLeafElement",
        version: 1,
        checksum: 0xa04f_8893,
        elems: &[
            base("TLeaf", "Leaf: a branch's data type", 2, 0x6d1e_8152),
            basic("fID", "Element number in the streamer info", INT),
            basic("fType", "Leaf type", INT),
        ],
        needs: &["TLeaf"],
    },
    ClassInfo {
        name: "TLeaf",
        version: 2,
        checksum: 0x6d1e_8152,
        elems: &[
            TNAMED_BASE,
            basic("fLen", "Fixed number of elements per entry", INT),
            basic("fLenType", "Bytes per element", INT),
            basic("fOffset", "Offset in a clones array", INT),
            basic("fIsRange", "Leaf is a counter of another leaf", BOOL),
            basic("fIsUnsigned", "Values are unsigned", BOOL),
            pointer(
                "fLeafCount",
                "Counter leaf of a variable-length leaf",
                false,
                "TLeaf*",
            ),
        ],
        needs: &["TNamed"],
    },
];

#[cfg(test)]
mod tests {
    use super::super::classes::{Kind, class_info};

    #[test]
    fn tree_table_is_reachable_and_counts_refer_to_members() {
        for name in [
            "TTree",
            "TBranch",
            "TBranchElement",
            "TLeaf",
            "TLeafElement",
            "TLeafI",
            "ROOT::TIOFeatures",
        ] {
            let info = class_info(name).unwrap();
            for e in info.elems {
                if let Kind::BasicPointer { count_name, .. } = e.kind {
                    assert!(info.elems.iter().any(|m| m.name == count_name), "{name}");
                }
            }
        }
    }
}
