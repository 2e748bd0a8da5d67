"""HXL hashtags for the flat incident columns (Humanitarian Exchange Language, https://hxlstandard.org).

An HXL file is an ordinary CSV whose row after the text headers holds one hashtag per column, so HDX,
the HXL Proxy and humanitarian dashboards can find "the admin-1 column" or "the date it happened"
without a human mapping columns by hand. The hashtags and attributes below come from the HXL 1.1
hashtag dictionary (hxlstandard.org/standard/1-1final/dictionary, generated from the HXL core schema);
where the dictionary has no fitting hashtag we follow what ACLED's conflict-event datasets on HDX use,
and where neither fits we use an extension hashtag ``#x_...`` as the tagging conventions prescribe.
Attributes are free-form in HXL (any ``+[a-z][a-z0-9_]*``), so ``+perpetrator`` or ``+independent`` are
legal refinements even though they are not in the dictionary.

=====================  ===================================  =============================================
column                 hashtag                              why
=====================  ===================================  =============================================
id                     #event+code                          #event = "an individual event or incident";
                                                            +code = unique machine-readable code (ACLED)
violation              #event+type                          +type = types or categories (ACLED)
status                 #status                              review status of the record
countries              #country+code+v_iso2                 ISO 3166-1 alpha-2; +v_iso2 because the
                                                            dictionary's default vocabulary is ISO3
admin1                 #adm1+name                           top-level subnational area, by name
locations              #loc+name                            any point location, by name
lat, lon               #geo+lat, #geo+lon                   decimal degrees, primary location
perpetrators           #group+name+perpetrator              #group = armed/paramilitary group (not #org,
                                                            which is for responders)
perpetrator_parties    #group+name+party+perpetrator        the party to the conflict they belong to
perpetrator_types      #group+type+perpetrator              state_armed_force / non_state_armed_group / ...
first_reported         #date+reported                       +reported = when something was reported
last_reported          #date+reported+last                  the latest report
event_date             #date+occurred                       +occurred = when something took place
event_date_precision   #meta+date_precision                 day/week/month/...; not a date, so #meta
victims_count          #affected+children                   number of children affected
victims_min_age        #x_victims+age+min                   extension: #affected is a count, not an age
victims_max_age        #x_victims+age+max                   extension
victims_sex            #x_victims+sex                       extension
documents              #meta+documents                      ids of the reporting documents
document_count         #meta+documents+num                  +num = numeric information
independent_sources    #meta+source+independent+num         number of independent sources
sources                #meta+source                         +source = information source
flags                  #meta+flags                          reliability flags (single_source, ...)
summary                #description                         long description for a data record
violation_class        #event+type+class                    grave_violation / related_category
verification_level     #status+verification+level           focal_point / task_force_co_chairs / ...
location_kind          #loc+type                            what the primary point is (city, admin1, ..)
location_precision     #geo+precision                       ACLED location precision code 1/2/3 (as
                                                            ACLED's HDX datasets tag geo_precision)
date_precision         #date+precision                      ACLED date precision code 1/2/3
victims_count_min/max  #affected+children+min/+max          the range across reports
victims_estimated      #meta+children+estimated             true/false, not a number: #meta
killed, injured        #affected+killed/+injured+children   #affected+killed, #affected+injured (1.1)
boys, girls            #affected+children+m / +f            +m / +f: the dictionary's sex attributes
sex_unknown            #affected+children+unknown_sex       children the text does not split by sex
recruitment_role       #x_victims+role                      extension: combatant / support / unknown
source_types           #meta+source+type                    "official 1; media 1"
public_summary         #description+public                  the public-safe summary
month                  #date+occurred+month                 publication export: YYYY-MM only
=====================  ===================================  =============================================
"""

from __future__ import annotations

import re

from caacwatch.export.flat import FLAT_COLUMNS, PUBLIC_COLUMNS

# (column, hashtag) in FLAT_COLUMNS order (then the publication-only columns); the docstring says why.
HXL_MAPPING: tuple[tuple[str, str], ...] = (
    ("id", "#event+code"),
    ("violation", "#event+type"),
    ("violation_class", "#event+type+class"),
    ("status", "#status"),
    ("verification_level", "#status+verification+level"),
    ("countries", "#country+code+v_iso2"),
    ("admin1", "#adm1+name"),
    ("locations", "#loc+name"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("location_kind", "#loc+type"),
    ("location_precision", "#geo+precision"),
    ("perpetrators", "#group+name+perpetrator"),
    ("perpetrator_parties", "#group+name+party+perpetrator"),
    ("perpetrator_types", "#group+type+perpetrator"),
    ("first_reported", "#date+reported"),
    ("last_reported", "#date+reported+last"),
    ("event_date", "#date+occurred"),
    ("event_date_precision", "#meta+date_precision"),
    ("date_precision", "#date+precision"),
    ("victims_count", "#affected+children"),
    ("victims_count_min", "#affected+children+min"),
    ("victims_count_max", "#affected+children+max"),
    ("victims_estimated", "#meta+children+estimated"),
    ("killed", "#affected+killed+children"),
    ("injured", "#affected+injured+children"),
    ("boys", "#affected+children+m"),
    ("girls", "#affected+children+f"),
    ("sex_unknown", "#affected+children+unknown_sex"),
    ("victims_min_age", "#x_victims+age+min"),
    ("victims_max_age", "#x_victims+age+max"),
    ("victims_sex", "#x_victims+sex"),
    ("recruitment_role", "#x_victims+role"),
    ("documents", "#meta+documents"),
    ("document_count", "#meta+documents+num"),
    ("independent_sources", "#meta+source+independent+num"),
    ("sources", "#meta+source"),
    ("source_types", "#meta+source+type"),
    ("flags", "#meta+flags"),
    ("summary", "#description"),
    ("public_summary", "#description+public"),
    ("month", "#date+occurred+month"),
)

HXL_TAGS: dict[str, str] = dict(HXL_MAPPING)

# HXL tagging conventions: a hashtag, then zero or more attributes, all [a-z][a-z0-9_]* (we emit lower case).
HXL_TAG_PATTERN = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")


def hxl_tag_row(columns: tuple[str, ...] = FLAT_COLUMNS) -> list[str]:
    """The hashtag row, aligned with ``columns`` (:data:`~caacwatch.export.flat.FLAT_COLUMNS` by default)."""
    return [HXL_TAGS[column] for column in columns]


def _check_mapping() -> None:
    """Fail at import if a column was added without a hashtag, or a hashtag is malformed."""
    columns = set(FLAT_COLUMNS) | set(PUBLIC_COLUMNS)
    missing = [c for c in columns if c not in HXL_TAGS]
    malformed = [t for t in HXL_TAGS.values() if not HXL_TAG_PATTERN.match(t)]
    if missing or malformed or len(HXL_TAGS) != len(columns) or len(set(HXL_TAGS.values())) != len(HXL_TAGS):
        raise RuntimeError(
            f"HXL mapping out of step with FLAT_COLUMNS: missing={missing} malformed={malformed}"
        )


_check_mapping()
