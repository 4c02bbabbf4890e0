// Owns the Unicode property names Rust's regex accepts in \p{…} and their canonical spelling.
// Receives the raw text between the braces (or the letter of \pL) from the parser.
// Sends a resolved UnicodeProperty, checked against V8 by compiling it, or a reason it fails.

import type { UnicodeProperty } from './ast.js';

/** [short, long, …other aliases] as in Unicode's PropertyValueAliases.txt. */
const GENERAL_CATEGORIES: readonly (readonly string[])[] = [
  ['C', 'Other'],
  ['Cc', 'Control', 'cntrl'],
  ['Cf', 'Format'],
  ['Cn', 'Unassigned'],
  ['Co', 'Private_Use'],
  ['Cs', 'Surrogate'],
  ['L', 'Letter'],
  ['LC', 'Cased_Letter'],
  ['Ll', 'Lowercase_Letter'],
  ['Lm', 'Modifier_Letter'],
  ['Lo', 'Other_Letter'],
  ['Lt', 'Titlecase_Letter'],
  ['Lu', 'Uppercase_Letter'],
  ['M', 'Mark', 'Combining_Mark'],
  ['Mc', 'Spacing_Mark'],
  ['Me', 'Enclosing_Mark'],
  ['Mn', 'Nonspacing_Mark'],
  ['N', 'Number'],
  ['Nd', 'Decimal_Number', 'digit'],
  ['Nl', 'Letter_Number'],
  ['No', 'Other_Number'],
  ['P', 'Punctuation', 'punct'],
  ['Pc', 'Connector_Punctuation'],
  ['Pd', 'Dash_Punctuation'],
  ['Pe', 'Close_Punctuation'],
  ['Pf', 'Final_Punctuation'],
  ['Pi', 'Initial_Punctuation'],
  ['Po', 'Other_Punctuation'],
  ['Ps', 'Open_Punctuation'],
  ['S', 'Symbol'],
  ['Sc', 'Currency_Symbol'],
  ['Sk', 'Modifier_Symbol'],
  ['Sm', 'Math_Symbol'],
  ['So', 'Other_Symbol'],
  ['Z', 'Separator'],
  ['Zl', 'Line_Separator'],
  ['Zp', 'Paragraph_Separator'],
  ['Zs', 'Space_Separator'],
];

/** Rust treats these as general categories although Unicode defines them elsewhere. */
const PSEUDO_CATEGORIES: ReadonlyMap<string, string> = new Map([
  ['any', 'Any'],
  ['assigned', 'Assigned'],
  ['ascii', 'ASCII'],
]);

/**
 * [long, ISO 15924 code, …other aliases] of the scripts of Unicode 16.0, the version of Rust's
 * regex-syntax 0.8: later scripts (Beria_Erfe, Sidetic, Tai_Yo, Tolong_Siki), which V8 may
 * know, are unknown to Rust. Names V8 lacks are refused when resolved.
 */
const SCRIPTS: readonly (readonly string[])[] = `Adlam Adlm|Ahom Ahom|Anatolian_Hieroglyphs Hluw|
Arabic Arab|Armenian Armn|Avestan Avst|Balinese Bali|Bamum Bamu|Bassa_Vah Bass|Batak Batk|
Bengali Beng|Bhaiksuki Bhks|Bopomofo Bopo|Brahmi Brah|Braille Brai|Buginese Bugi|
Buhid Buhd|Canadian_Aboriginal Cans|Carian Cari|Caucasian_Albanian Aghb|Chakma Cakm|Cham Cham|
Cherokee Cher|Chorasmian Chrs|Common Zyyy|Coptic Copt Qaac|Cuneiform Xsux|Cypriot Cprt|
Cypro_Minoan Cpmn|Cyrillic Cyrl|Deseret Dsrt|Devanagari Deva|Dives_Akuru Diak|Dogra Dogr|
Duployan Dupl|Egyptian_Hieroglyphs Egyp|Elbasan Elba|Elymaic Elym|Ethiopic Ethi|Garay Gara|
Georgian Geor|Glagolitic Glag|Gothic Goth|Grantha Gran|Greek Grek|Gujarati Gujr|Gunjala_Gondi Gong|
Gurmukhi Guru|Gurung_Khema Gukh|Han Hani|Hangul Hang|Hanifi_Rohingya Rohg|Hanunoo Hano|Hatran Hatr|
Hebrew Hebr|Hiragana Hira|Imperial_Aramaic Armi|Inherited Zinh Qaai|Inscriptional_Pahlavi Phli|
Inscriptional_Parthian Prti|Javanese Java|Kaithi Kthi|Kannada Knda|Katakana Kana|Kawi Kawi|
Kayah_Li Kali|Kharoshthi Khar|Khitan_Small_Script Kits|Khmer Khmr|Khojki Khoj|Khudawadi Sind|
Kirat_Rai Krai|Lao Laoo|Latin Latn|Lepcha Lepc|Limbu Limb|Linear_A Lina|Linear_B Linb|Lisu Lisu|
Lycian Lyci|Lydian Lydi|Mahajani Mahj|Makasar Maka|Malayalam Mlym|Mandaic Mand|Manichaean Mani|
Marchen Marc|Masaram_Gondi Gonm|Medefaidrin Medf|Meetei_Mayek Mtei|Mende_Kikakui Mend|
Meroitic_Cursive Merc|Meroitic_Hieroglyphs Mero|Miao Plrd|Modi Modi|Mongolian Mong|Mro Mroo|
Multani Mult|Myanmar Mymr|Nabataean Nbat|Nag_Mundari Nagm|Nandinagari Nand|New_Tai_Lue Talu|
Newa Newa|Nko Nkoo|Nushu Nshu|Nyiakeng_Puachue_Hmong Hmnp|Ogham Ogam|Ol_Chiki Olck|Ol_Onal Onao|
Old_Hungarian Hung|Old_Italic Ital|Old_North_Arabian Narb|Old_Permic Perm|Old_Persian Xpeo|
Old_Sogdian Sogo|Old_South_Arabian Sarb|Old_Turkic Orkh|Old_Uyghur Ougr|Oriya Orya|Osage Osge|
Osmanya Osma|Pahawh_Hmong Hmng|Palmyrene Palm|Pau_Cin_Hau Pauc|Phags_Pa Phag|Phoenician Phnx|
Psalter_Pahlavi Phlp|Rejang Rjng|Runic Runr|Samaritan Samr|Saurashtra Saur|Sharada Shrd|
Shavian Shaw|Siddham Sidd|SignWriting Sgnw|Sinhala Sinh|Sogdian Sogd|
Sora_Sompeng Sora|Soyombo Soyo|Sundanese Sund|Sunuwar Sunu|Syloti_Nagri Sylo|Syriac Syrc|
Tagalog Tglg|Tagbanwa Tagb|Tai_Le Tale|Tai_Tham Lana|Tai_Viet Tavt|Takri Takr|
Tamil Taml|Tangsa Tnsa|Tangut Tang|Telugu Telu|Thaana Thaa|Thai Thai|Tibetan Tibt|Tifinagh Tfng|
Tirhuta Tirh|Todhri Todr|Toto Toto|Tulu_Tigalari Tutg|Ugaritic Ugar|Vai Vaii|
Vithkuqi Vith|Wancho Wcho|Warang_Citi Wara|Yezidi Yezi|Yi Yiii|Zanabazar_Square Zanb|Unknown Zzzz`
  .split('|')
  .map((entry) => entry.trim().split(' '));

/** [canonical, …aliases] of the binary properties Rust knows (V8 lacks some of them). */
const BINARY_PROPERTIES: readonly (readonly string[])[] = `ASCII_Hex_Digit AHex|Alphabetic Alpha|
Bidi_Control Bidi_C|Bidi_Mirrored Bidi_M|Case_Ignorable CI|Cased|Changes_When_Casefolded CWCF|
Changes_When_Casemapped CWCM|Changes_When_Lowercased CWL|Changes_When_Titlecased CWT|
Changes_When_Uppercased CWU|Dash|Default_Ignorable_Code_Point DI|Deprecated Dep|Diacritic Dia|
Emoji|Emoji_Component EComp|Emoji_Modifier EMod|Emoji_Modifier_Base EBase|
Emoji_Presentation EPres|Extended_Pictographic ExtPict|Extender Ext|Grapheme_Base Gr_Base|
Grapheme_Extend Gr_Ext|Hex_Digit Hex|IDS_Binary_Operator IDSB|IDS_Trinary_Operator IDST|
IDS_Unary_Operator IDSU|ID_Continue IDC|ID_Start IDS|Ideographic Ideo|Join_Control Join_C|
Logical_Order_Exception LOE|Lowercase Lower|Math|Noncharacter_Code_Point NChar|
Pattern_Syntax Pat_Syn|Pattern_White_Space Pat_WS|Quotation_Mark QMark|Radical|
Regional_Indicator RI|Sentence_Terminal STerm|Soft_Dotted SD|Terminal_Punctuation Term|
Unified_Ideograph UIdeo|Uppercase Upper|Variation_Selector VS|White_Space WSpace space|
XID_Continue XIDC|XID_Start XIDS|Prepended_Concatenation_Mark PCM|Hyphen|Grapheme_Link Gr_Link|
Other_Alphabetic OAlpha|Other_Default_Ignorable_Code_Point ODI|Other_Grapheme_Extend OGr_Ext|
Other_ID_Continue OIDC|Other_ID_Start OIDS|Other_Lowercase OLower|Other_Math OMath|
Other_Uppercase OUpper|ID_Compat_Math_Continue|ID_Compat_Math_Start|Modifier_Combining_Mark MCM`
  .split('|')
  .map((entry) => entry.trim().split(' '));

/** Properties Rust queries by value; only the first three exist in JavaScript. */
const VALUED_PROPERTIES: readonly (readonly string[])[] = [
  ['General_Category', 'gc'],
  ['Script', 'sc'],
  ['Script_Extensions', 'scx'],
  ['Age', 'age'],
  ['Grapheme_Cluster_Break', 'GCB'],
  ['Word_Break', 'WB'],
  ['Sentence_Break', 'SB'],
];

function index(table: readonly (readonly string[])[], pick: (row: readonly string[]) => string) {
  const map = new Map<string, string>();
  for (const row of table) for (const name of row) map.set(normaliseName(name), pick(row));
  return map;
}

const categoryByName = index(GENERAL_CATEGORIES, (row) => row[0]!);
const scriptByName = index(SCRIPTS, (row) => row[0]!);
const binaryByName = index(BINARY_PROPERTIES, (row) => row[0]!);
const valuedByName = index(VALUED_PROPERTIES, (row) => row[0]!);

/** Rust's loose matching (UAX44-LM3): ASCII case, spaces, "_", "-" and an "is" prefix ignored. */
export function normaliseName(name: string): string {
  const withoutIs = /^is/i.test(name) ? name.slice(2) : name;
  // Non-ASCII characters cannot occur in property names; Rust drops them too.
  const normal = withoutIs.replace(/[ _-]|[^\x00-\x7f]/g, '').toLowerCase();
  // "isc" is ISO_Comment's alias, which the "is" rule would otherwise eat.
  return /^is/i.test(name) && normal === 'c' ? 'isc' : normal;
}

export type Resolution =
  | { readonly ok: true; readonly property: UnicodeProperty }
  | { readonly ok: false; readonly reason: string };

/** Resolves `\p{name}` or `\p{name=value}` (value undefined for the one-name form). */
export function resolveProperty(name: string, value: string | undefined): Resolution {
  const property = value === undefined ? resolveOneName(name) : resolveByValue(name, value);
  if (typeof property === 'string') return { ok: false, reason: property };
  const text = value === undefined ? name : `${name}=${value}`;
  const refused = refusedByRust(property, text);
  if (refused !== undefined) return { ok: false, reason: refused };
  return checkedInV8(property, text);
}

/**
 * Values Unicode names but Rust's tables leave out, so that Rust answers "Unicode property
 * value not found": surrogates are not characters, and no table lists the Unknown script.
 */
function refusedByRust(property: UnicodeProperty, text: string): string | undefined {
  if (property.kind === 'generalCategory' && property.value === 'Cs') {
    return `unknown Unicode property value "${text}": Rust's regex has no class of surrogates, which are not characters`;
  }
  if (
    property.kind !== 'generalCategory' &&
    property.kind !== 'binary' &&
    property.value === 'Unknown'
  ) {
    return `unknown Unicode property value "${text}": Rust's regex has no table for the Unknown script`;
  }
  return undefined;
}

function unknown(text: string): string {
  return `unknown Unicode class "${text}"`;
}

function resolveOneName(name: string): UnicodeProperty | string {
  const normal = normaliseName(name);
  // Rust reads these as categories (Format, Currency_Symbol, Cased_Letter), not as properties.
  if (normal !== 'cf' && normal !== 'sc' && normal !== 'lc') {
    const binary = binaryByName.get(normal);
    if (binary !== undefined) return { kind: 'binary', value: binary };
    if (valuedByName.has(normal)) return unknown(name);
  }
  const pseudo = PSEUDO_CATEGORIES.get(normal);
  if (pseudo !== undefined) return { kind: 'binary', value: pseudo };
  const category = categoryByName.get(normal);
  if (category !== undefined) return { kind: 'generalCategory', value: category };
  const script = scriptByName.get(normal);
  if (script !== undefined) return { kind: 'script', value: script };
  return unknown(name);
}

function resolveByValue(name: string, value: string): UnicodeProperty | string {
  const property = valuedByName.get(normaliseName(name));
  const normal = normaliseName(value);
  switch (property) {
    case 'General_Category': {
      const pseudo = PSEUDO_CATEGORIES.get(normal);
      if (pseudo !== undefined) return { kind: 'binary', value: pseudo };
      const category = categoryByName.get(normal);
      return category === undefined
        ? unknown(`${name}=${value}`)
        : { kind: 'generalCategory', value: category };
    }
    case 'Script':
    case 'Script_Extensions': {
      const script = scriptByName.get(normal);
      if (script === undefined) return unknown(`${name}=${value}`);
      return { kind: property === 'Script' ? 'script' : 'scriptExtensions', value: script };
    }
    case undefined:
      return unknown(`${name}=${value}`);
    default:
      return `Unicode property ${property} cannot be honoured: JavaScript regexes have no table for it`;
  }
}

/** The `\p{…}` spelling V8 accepts for a resolved property. */
export function javaScriptProperty(property: UnicodeProperty): string {
  switch (property.kind) {
    case 'generalCategory':
      return `\\p{${property.value}}`;
    case 'script':
      return `\\p{Script=${property.value}}`;
    case 'scriptExtensions':
      return `\\p{Script_Extensions=${property.value}}`;
    case 'binary':
      return `\\p{${property.value}}`;
  }
}

const compiles = new Map<string, boolean>();

function checkedInV8(property: UnicodeProperty, text: string): Resolution {
  const source = javaScriptProperty(property);
  let ok = compiles.get(source);
  if (ok === undefined) {
    ok = tryCompile(source);
    compiles.set(source, ok);
  }
  if (ok) return { ok: true, property };
  const reason = binaryByName.has(normaliseName(property.value))
    ? `Unicode property ${property.value} cannot be honoured: JavaScript regexes have no table for it`
    : `unknown Unicode class "${text}" (this Node.js version's Unicode tables lack it)`;
  return { ok: false, reason };
}

function tryCompile(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Every name in the tables, for tests that check them against V8. */
export function tableNames(): {
  scripts: string[][];
  binaries: string[][];
  categories: string[][];
} {
  const copy = (table: readonly (readonly string[])[]) => table.map((row) => [...row]);
  return {
    scripts: copy(SCRIPTS),
    binaries: copy(BINARY_PROPERTIES),
    categories: copy(GENERAL_CATEGORIES),
  };
}
