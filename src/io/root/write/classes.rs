//! anac's table of the ROOT classes it writes: members in streaming order, class versions and
//! checksums.
//!
//! Input: a class name. Output: its [`ClassInfo`], from which `streamers` builds the file's
//! `TStreamerInfo` records.
//!
//! Invariants: the member order here is the order the serializers in `hist` and `tree` write; the
//! versions and checksums are those of the ROOT release line anac targets (6.x), so ROOT accepts the
//! records without schema-evolution warnings. Titles are anac's own short descriptions, except that
//! ROOT's conventions that carry meaning are kept: `[fN]` names an array's counter and `->` marks a
//! pointer that is never null.

/// How a member is stored (decides the `TStreamerElement` subclass).
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A base class (`TStreamerBase`). `type_code` is 66 for `TObject`, 67 for `TNamed`, else 0.
    Base {
        version: i32,
        checksum: u32,
        type_code: i32,
    },
    /// A number (`TStreamerBasicType`) with ROOT's type code.
    Basic {
        ty: i32,
        size: i32,
        type_name: &'static str,
    },
    /// An embedded `TObject`-derived object (`TStreamerObject`).
    Object { size: i32, type_name: &'static str },
    /// An embedded object of a non-`TObject` class (`TStreamerObjectAny`).
    ObjectAny { size: i32, type_name: &'static str },
    /// A pointer to an object; `owned` (`->`) pointers are never null.
    ObjectPointer {
        owned: bool,
        type_name: &'static str,
    },
    /// A pointer to an array of numbers whose length is another member.
    BasicPointer {
        ty: i32,
        type_name: &'static str,
        count_name: &'static str,
        count_class: &'static str,
        count_version: i32,
    },
    /// A `TString` member.
    String,
}

/// One member of a class.
#[derive(Debug)]
pub struct Elem {
    pub name: &'static str,
    pub title: &'static str,
    pub kind: Kind,
}

/// One class: what its streamer info says, and which other classes it is built from.
#[derive(Debug)]
pub struct ClassInfo {
    pub name: &'static str,
    pub version: i32,
    pub checksum: u32,
    pub elems: &'static [Elem],
    pub needs: &'static [&'static str],
}

// ROOT's basic type codes.
pub(super) const SHORT: i32 = 2;
pub(super) const INT: i32 = 3;
pub(super) const FLOAT: i32 = 5;
pub(super) const COUNTER: i32 = 6;
pub(super) const CHAR: i32 = 1;
pub(super) const DOUBLE: i32 = 8;
pub(super) const UCHAR: i32 = 11;
pub(super) const USHORT: i32 = 12;
pub(super) const UINT: i32 = 13;
pub(super) const BITS: i32 = 15;
pub(super) const LONG64: i32 = 16;
pub(super) const BOOL: i32 = 18;

/// `fErrorMode` of `TProfile` and `TProfile2D`: an enum stored as an int.
const ERROR_MODE: Elem = Elem {
    name: "fErrorMode",
    title: "How bin errors are computed",
    kind: Kind::Basic {
        ty: INT,
        size: 4,
        type_name: "EErrorType",
    },
};

pub(super) const fn basic(name: &'static str, title: &'static str, ty: i32) -> Elem {
    let (size, type_name) = match ty {
        CHAR => (1, "char"),
        SHORT => (2, "short"),
        INT | COUNTER => (4, "int"),
        FLOAT => (4, "float"),
        DOUBLE => (8, "double"),
        UCHAR => (1, "unsigned char"),
        USHORT => (2, "unsigned short"),
        UINT | BITS => (4, "unsigned int"),
        LONG64 => (8, "Long64_t"),
        _ => (1, "bool"),
    };
    Elem {
        name,
        title,
        kind: Kind::Basic {
            ty,
            size,
            type_name,
        },
    }
}

pub(super) const fn base(
    name: &'static str,
    title: &'static str,
    version: i32,
    checksum: u32,
) -> Elem {
    Elem {
        name,
        title,
        kind: Kind::Base {
            version,
            checksum,
            type_code: 0,
        },
    }
}

const TOBJECT_BASE: Elem = Elem {
    name: "TObject",
    title: "Basic ROOT object",
    kind: Kind::Base {
        version: 1,
        checksum: 0x901b_c02d,
        type_code: 66,
    },
};
pub(super) const TNAMED_BASE: Elem = Elem {
    name: "TNamed",
    title: "Named object (name, title)",
    kind: Kind::Base {
        version: 1,
        checksum: 0xdfb7_4a3c,
        type_code: 67,
    },
};
pub(super) const TATTLINE_BASE: Elem = base("TAttLine", "Line attributes", 2, 0x9407_4549);
pub(super) const TATTFILL_BASE: Elem = base("TAttFill", "Fill area attributes", 2, 0xffd9_2a92);
pub(super) const TATTMARKER_BASE: Elem = base("TAttMarker", "Marker attributes", 3, 0x291d_8bec);
const TARRAYD_BASE: Elem = base("TArrayD", "Array of doubles", 1, 0x7139_ef34);
const TH1_BASE: Elem = base("TH1", "1-dimensional histogram base class", 8, 0x1c37_40c4);
const TLEAF_BASE: Elem = base("TLeaf", "Leaf: a branch's data type", 2, 0x6d1e_8152);
const TSEQ_BASE: Elem = base("TSeqCollection", "Sequenceable collection", 0, 0xfc6c_3bc6);

pub(super) const fn string(name: &'static str, title: &'static str) -> Elem {
    Elem {
        name,
        title,
        kind: Kind::String,
    }
}
pub(super) const fn object(
    name: &'static str,
    title: &'static str,
    size: i32,
    ty: &'static str,
) -> Elem {
    Elem {
        name,
        title,
        kind: Kind::Object {
            size,
            type_name: ty,
        },
    }
}
pub(super) const fn any(
    name: &'static str,
    title: &'static str,
    size: i32,
    ty: &'static str,
) -> Elem {
    Elem {
        name,
        title,
        kind: Kind::ObjectAny {
            size,
            type_name: ty,
        },
    }
}
pub(super) const fn pointer(
    name: &'static str,
    title: &'static str,
    owned: bool,
    ty: &'static str,
) -> Elem {
    Elem {
        name,
        title,
        kind: Kind::ObjectPointer {
            owned,
            type_name: ty,
        },
    }
}
pub(super) const fn counted(
    name: &'static str,
    title: &'static str,
    ty: i32,
    type_name: &'static str,
    count: (&'static str, &'static str, i32),
) -> Elem {
    Elem {
        name,
        title,
        kind: Kind::BasicPointer {
            ty,
            type_name,
            count_name: count.0,
            count_class: count.1,
            count_version: count.2,
        },
    }
}

/// Members of `TLeafX`: its base and the value range, in the leaf's own type.
const fn leaf_elems(ty: i32) -> [Elem; 3] {
    [
        TLEAF_BASE,
        basic("fMinimum", "Minimum value if a range is given", ty),
        basic("fMaximum", "Maximum value if a range is given", ty),
    ]
}
const LEAF_B: [Elem; 3] = leaf_elems(CHAR);
const LEAF_S: [Elem; 3] = leaf_elems(SHORT);
const LEAF_I: [Elem; 3] = leaf_elems(INT);
const LEAF_L: [Elem; 3] = leaf_elems(LONG64);
const LEAF_F: [Elem; 3] = leaf_elems(FLOAT);
const LEAF_D: [Elem; 3] = leaf_elems(DOUBLE);
const LEAF_O: [Elem; 3] = leaf_elems(BOOL);

const fn leaf(name: &'static str, checksum: u32, elems: &'static [Elem]) -> ClassInfo {
    ClassInfo {
        name,
        version: 1,
        checksum,
        elems,
        needs: &["TLeaf"],
    }
}

static CLASSES: &[ClassInfo] = &[
    ClassInfo {
        name: "TObject",
        version: 1,
        checksum: 0x901b_c02d,
        elems: &[
            basic("fUniqueID", "object unique identifier", UINT),
            basic("fBits", "bit field status word", BITS),
        ],
        needs: &[],
    },
    ClassInfo {
        name: "TNamed",
        version: 1,
        checksum: 0xdfb7_4a3c,
        elems: &[
            TOBJECT_BASE,
            string("fName", "object identifier"),
            string("fTitle", "object title"),
        ],
        needs: &["TObject"],
    },
    ClassInfo {
        name: "TString",
        version: 2,
        checksum: 0x0001_7419,
        elems: &[],
        needs: &[],
    },
    ClassInfo {
        name: "TAttLine",
        version: 2,
        checksum: 0x9407_4549,
        elems: &[
            basic("fLineColor", "Line color", SHORT),
            basic("fLineStyle", "Line style", SHORT),
            basic("fLineWidth", "Line width", SHORT),
        ],
        needs: &[],
    },
    ClassInfo {
        name: "TAttFill",
        version: 2,
        checksum: 0xffd9_2a92,
        elems: &[
            basic("fFillColor", "Fill area color", SHORT),
            basic("fFillStyle", "Fill area style", SHORT),
        ],
        needs: &[],
    },
    ClassInfo {
        name: "TAttMarker",
        version: 3,
        checksum: 0x291d_8bec,
        elems: &[
            basic("fMarkerColor", "Marker color", SHORT),
            basic("fMarkerStyle", "Marker style", SHORT),
            basic("fMarkerSize", "Marker size", FLOAT),
        ],
        needs: &[],
    },
    ClassInfo {
        name: "TAttAxis",
        version: 4,
        checksum: 0x5c6f_ff3e,
        elems: &[
            basic("fNdivisions", "Number of divisions", INT),
            basic("fAxisColor", "Axis line color", SHORT),
            basic("fLabelColor", "Label color", SHORT),
            basic("fLabelFont", "Label font", SHORT),
            basic("fLabelOffset", "Label offset", FLOAT),
            basic("fLabelSize", "Label size", FLOAT),
            basic("fTickLength", "Tick mark length", FLOAT),
            basic("fTitleOffset", "Title offset", FLOAT),
            basic("fTitleSize", "Title size", FLOAT),
            basic("fTitleColor", "Title color", SHORT),
            basic("fTitleFont", "Title font", SHORT),
        ],
        needs: &[],
    },
    ClassInfo {
        name: "TAxis",
        version: 10,
        checksum: 0x5a49_6e70,
        elems: &[
            TNAMED_BASE,
            base("TAttAxis", "Axis attributes", 4, 0x5c6f_ff3e),
            basic("fNbins", "Number of bins", INT),
            basic("fXmin", "Low edge of the first bin", DOUBLE),
            basic("fXmax", "Upper edge of the last bin", DOUBLE),
            any("fXbins", "Bin edges (empty for equal bins)", 24, "TArrayD"),
            basic("fFirst", "First bin to display", INT),
            basic("fLast", "Last bin to display", INT),
            basic("fBits2", "Second status word", USHORT),
            basic("fTimeDisplay", "Show time values", BOOL),
            string("fTimeFormat", "Time format"),
            pointer("fLabels", "Bin labels", false, "THashList*"),
            pointer("fModLabs", "Modified labels", false, "TList*"),
        ],
        needs: &["TNamed", "TAttAxis", "THashList", "TList", "TObjString"],
    },
    ClassInfo {
        name: "TCollection",
        version: 3,
        checksum: 0x57e3_cb9c,
        elems: &[
            TOBJECT_BASE,
            string("fName", "name of the collection"),
            basic("fSize", "number of elements", INT),
        ],
        needs: &["TObject"],
    },
    ClassInfo {
        name: "TSeqCollection",
        version: 0,
        checksum: 0xfc6c_3bc6,
        elems: &[base("TCollection", "Collection base class", 3, 0x57e3_cb9c)],
        needs: &["TCollection"],
    },
    ClassInfo {
        name: "TList",
        version: 5,
        checksum: 0x69c5_c3bb,
        elems: &[TSEQ_BASE],
        needs: &["TSeqCollection"],
    },
    ClassInfo {
        name: "TObjString",
        version: 1,
        checksum: 0x9c8e_4800,
        elems: &[TOBJECT_BASE, string("fString", "Wrapped string")],
        needs: &["TObject"],
    },
    ClassInfo {
        name: "THashList",
        version: 0,
        checksum: 0xcc7e_49c1,
        elems: &[base("TList", "Doubly linked list", 5, 0x69c5_c3bb)],
        needs: &["TList"],
    },
    ClassInfo {
        name: "TObjArray",
        version: 3,
        checksum: 0xa99e_6552,
        elems: &[
            TSEQ_BASE,
            basic("fLowerBound", "Lower bound of the array", INT),
            basic("fLast", "Last element holding an object", INT),
        ],
        needs: &["TSeqCollection"],
    },
    ClassInfo {
        name: "TH1",
        version: 8,
        checksum: 0x1c37_40c4,
        elems: &[
            TNAMED_BASE,
            TATTLINE_BASE,
            TATTFILL_BASE,
            TATTMARKER_BASE,
            basic("fNcells", "Number of cells including flow bins", INT),
            object("fXaxis", "X axis", 216, "TAxis"),
            object("fYaxis", "Y axis", 216, "TAxis"),
            object("fZaxis", "Z axis", 216, "TAxis"),
            basic("fBarOffset", "Bar offset (x1000)", SHORT),
            basic("fBarWidth", "Bar width (x1000)", SHORT),
            basic("fEntries", "Number of entries", DOUBLE),
            basic("fTsumw", "Sum of weights", DOUBLE),
            basic("fTsumw2", "Sum of squared weights", DOUBLE),
            basic("fTsumwx", "Sum of weight*x", DOUBLE),
            basic("fTsumwx2", "Sum of weight*x*x", DOUBLE),
            basic("fMaximum", "Maximum for plotting", DOUBLE),
            basic("fMinimum", "Minimum for plotting", DOUBLE),
            basic("fNormFactor", "Normalization factor", DOUBLE),
            any("fContour", "Contour levels", 24, "TArrayD"),
            any("fSumw2", "Sums of squared weights per bin", 24, "TArrayD"),
            string("fOption", "Histogram options"),
            pointer("fFunctions", "->Attached functions", true, "TList*"),
            basic("fBufferSize", "Size of fBuffer", COUNTER),
            counted(
                "fBuffer",
                "[fBufferSize] Fill buffer",
                DOUBLE,
                "double*",
                ("fBufferSize", "TH1", 8),
            ),
            Elem {
                name: "fBinStatErrOpt",
                title: "Bin error option",
                kind: Kind::Basic {
                    ty: INT,
                    size: 4,
                    type_name: "TH1::EBinErrorOpt",
                },
            },
            Elem {
                name: "fStatOverflows",
                title: "Flow bins in statistics",
                kind: Kind::Basic {
                    ty: INT,
                    size: 4,
                    type_name: "TH1::EStatOverflows",
                },
            },
        ],
        needs: &[
            "TNamed",
            "TAttLine",
            "TAttFill",
            "TAttMarker",
            "TAxis",
            "TString",
        ],
    },
    ClassInfo {
        name: "TH1D",
        version: 3,
        checksum: 0xf9b1_569f,
        elems: &[TH1_BASE, TARRAYD_BASE],
        needs: &["TH1"],
    },
    ClassInfo {
        name: "TH2",
        version: 5,
        checksum: 0x0182_347f,
        elems: &[
            TH1_BASE,
            basic("fScalefactor", "Scale factor", DOUBLE),
            basic("fTsumwy", "Sum of weight*y", DOUBLE),
            basic("fTsumwy2", "Sum of weight*y*y", DOUBLE),
            basic("fTsumwxy", "Sum of weight*x*y", DOUBLE),
        ],
        needs: &["TH1"],
    },
    ClassInfo {
        name: "TH2D",
        version: 4,
        checksum: 0x7fba_82f0,
        elems: &[
            base("TH2", "2-dimensional histogram base class", 5, 0x0182_347f),
            TARRAYD_BASE,
        ],
        needs: &["TH2"],
    },
    ClassInfo {
        name: "TProfile",
        version: 7,
        checksum: 0x4bed_ee54,
        elems: &[
            base("TH1D", "1-D histogram of doubles", 3, 0xf9b1_569f),
            any("fBinEntries", "Sum of weights per bin", 24, "TArrayD"),
            ERROR_MODE,
            basic("fYmin", "Lower limit of y (when set)", DOUBLE),
            basic("fYmax", "Upper limit of y (when set)", DOUBLE),
            basic("fTsumwy", "Sum of weight*y", DOUBLE),
            basic("fTsumwy2", "Sum of weight*y*y", DOUBLE),
            any("fBinSumw2", "Sum of squared weights per bin", 24, "TArrayD"),
        ],
        needs: &["TH1D"],
    },
    ClassInfo {
        name: "TProfile2D",
        version: 8,
        checksum: 0x36a1_42ac,
        elems: &[
            base("TH2D", "2-D histogram of doubles", 4, 0x7fba_82f0),
            any("fBinEntries", "Sum of weights per bin", 24, "TArrayD"),
            ERROR_MODE,
            basic("fZmin", "Lower limit of z (when set)", DOUBLE),
            basic("fZmax", "Upper limit of z (when set)", DOUBLE),
            basic("fTsumwz", "Sum of weight*z", DOUBLE),
            basic("fTsumwz2", "Sum of weight*z*z", DOUBLE),
            any("fBinSumw2", "Sum of squared weights per bin", 24, "TArrayD"),
        ],
        needs: &["TH2D"],
    },
    ClassInfo {
        name: "TAtt3D",
        version: 1,
        checksum: 0x0000_757a,
        elems: &[],
        needs: &[],
    },
    ClassInfo {
        name: "TH3",
        version: 6,
        checksum: 0x42d2_445f,
        elems: &[
            TH1_BASE,
            base("TAtt3D", "3D attributes", 1, 0x0000_757a),
            basic("fTsumwy", "Total Sum of weight*Y", DOUBLE),
            basic("fTsumwy2", "Total Sum of weight*Y*Y", DOUBLE),
            basic("fTsumwxy", "Total Sum of weight*X*Y", DOUBLE),
            basic("fTsumwz", "Total Sum of weight*Z", DOUBLE),
            basic("fTsumwz2", "Total Sum of weight*Z*Z", DOUBLE),
            basic("fTsumwxz", "Total Sum of weight*X*Z", DOUBLE),
            basic("fTsumwyz", "Total Sum of weight*Y*Z", DOUBLE),
        ],
        needs: &["TH1", "TAtt3D"],
    },
    ClassInfo {
        name: "TH3D",
        version: 4,
        checksum: 0x64b9_ff86,
        elems: &[
            base("TH3", "3-dimensional histogram base class", 6, 0x42d2_445f),
            TARRAYD_BASE,
        ],
        needs: &["TH3"],
    },
];

/// The table entry for `name`, including the tree classes from [`super::tree_classes`].
pub fn class_info(name: &str) -> Option<&'static ClassInfo> {
    CLASSES
        .iter()
        .chain(super::tree_classes::CLASSES.iter())
        .chain(LEAVES.iter())
        .find(|c| c.name == name)
}

static LEAVES: &[ClassInfo] = &[
    leaf("TLeafB", 0x0f1e_4b5e, &LEAF_B),
    leaf("TLeafS", 0x150c_eecf, &LEAF_S),
    leaf("TLeafI", 0x7e6a_ae19, &LEAF_I),
    leaf("TLeafL", 0xde32_0862, &LEAF_L),
    leaf("TLeafF", 0x3add_9d72, &LEAF_F),
    leaf("TLeafD", 0x118e_8776, &LEAF_D),
    leaf("TLeafO", 0x02ae_48d3, &LEAF_O),
];

/// Exposed to `tree_classes` so its table reads like this one.
pub(super) mod build {
    pub(in super::super) use super::{
        BOOL, COUNTER, DOUBLE, INT, LONG64, SHORT, TATTFILL_BASE, TATTLINE_BASE, TATTMARKER_BASE,
        TNAMED_BASE, UCHAR, UINT, any, base, basic, counted, object, pointer, string,
    };
}
