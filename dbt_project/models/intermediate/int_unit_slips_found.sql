-- Every figure that can be compared with what it should be about, and whether it looks
-- typed in the wrong unit: ~10⁴ times too large (万元 typed into an 亿元 column, 美元 into a
-- 万美元 column) or ~10⁴ times too small (亿元 typed into a 万元 column); 10⁸ for 元/亿元.
--
-- Form A, per project, unit, month and metric, three comparisons:
--   * the month figure (derived: YTD − the last earlier YTD of the year; and as reported,
--     本月) against the project's own earlier months (history_scale: median of its earlier
--     positive month figures);
--   * the same against the city's other projects this month (peer_scale: median of the
--     positive month figures of the city's reporting units, same metric; five at least);
--   * the YTD against the last earlier YTD of the year (the step).
-- A reference smaller than the floor (var unit_slip_floor_*) is raised to it, so that a
-- small project's history does not make an ordinary figure look huge; a figure is a slip
-- only when every reference it has agrees (ratio ≥ var unit_slip_ratio, or ≤ its inverse).
-- The month after a slip, the figures fall back: a step against a slipped figure in the
-- opposite direction is the echo of that slip (is_echo), not a slip of its own.
-- A whole form in the wrong unit (at least two figures and 80 % of a form's comparable
-- figures in one currency slipping the same way) is one finding for the form
-- (is_whole_form), and then every figure of that currency on it is corrected.
--
-- Form S, per unit (and the city): the YTD against the last earlier YTD of the year.
--
-- corrected_ytd is what the YTD most likely should be; excess_ytd = ytd − corrected_ytd is
-- what the slip adds to every total built from the figure (0 when only 本月 slipped).
--
-- Built by month (dbt_project.yml): a run judges the figures of its months, reading every
-- earlier month's figures for the histories and, for the echo, each series' last figure
-- before its months.

{%- set ratio = var('unit_slip_ratio') %}

with units as (
    select
        u.unit_code,
        u.is_reporting_unit,
        coalesce(h.parent_code, u.parent_code) as city_code
    from {{ ref('stg_reference__units') }} as u
    left join {{ ref('stg_reference__units') }} as h on u.host_unit_code = h.unit_code
),

floors as (
    select
        metric,
        canonical_unit,
        case canonical_unit
            when '亿元' then {{ var('unit_slip_floor_yi_yuan') }}
            else {{ var('unit_slip_floor_wan_usd') }}
        end as floor_value
    from {{ ref('metrics') }}
    where source = 'form_a'
),

-- read again by each step that uses it rather than held: a copy of every figure is what made
-- this model spill to disk under the memory bound (not materialized, here and below)
figures as not materialized (
    select
        f.*,
        units.city_code,
        units.is_reporting_unit,
        floors.canonical_unit,
        floors.floor_value,
        f.ytd_value - coalesce(f.last_earlier_ytd, 0) as month_derived
    from {{ ref('int_arrival_figures_chained') }} as f
    inner join units on f.unit_code = units.unit_code
    inner join floors on f.metric = floors.metric
),

-- the figures judged: the run's months, and each series' last figure before them (whose
-- direction the echo of the first month looks back at)
last_before as (
    select
        project_code,
        unit_code,
        metric,
        max(period) as period
    from figures
    where not ({{ in_period_window() }})
    group by project_code, unit_code, metric
),

judged_figures as not materialized (
    select * from figures
    where {{ in_period_window() }}
    union all
    select figures.* from figures
    inner join last_before
        on
            figures.project_code = last_before.project_code
            and figures.unit_code = last_before.unit_code
            and figures.metric = last_before.metric
            and figures.period = last_before.period
),

-- each series' positive month figures, for the median of those before a month
histories as (
    select
        project_code,
        unit_code,
        metric,
        list(struct_pack(period := period, month_derived := month_derived)) filter (month_derived > 0)
            as positive_months
    from figures
    group by project_code, unit_code, metric
),

-- a city's month needs a few projects before its median says what is ordinary
peers as (
    select
        city_code,
        metric,
        period,
        case
            when count(*) filter (month_derived > 0 and is_reporting_unit) >= 5
                then median(month_derived) filter (month_derived > 0 and is_reporting_unit)
        end as peer_scale
    from figures
    where period in (select judged_figures.period from judged_figures)
    group by city_code, metric, period
),

scaled as (
    select
        f.*,
        -- the median of the series' positive month figures before this month (m: a lambda's
        -- argument, which the linter takes for a table)
        list_median(list_transform(
            list_filter(h.positive_months, lambda m: m.period < f.period), lambda m: m.month_derived  -- noqa: RF01
        )) as history_scale,
        peers.peer_scale,
        case
            when f.ytd_value > 0 and f.last_earlier_ytd >= f.floor_value then f.ytd_value / f.last_earlier_ytd
        end as ytd_step
    from judged_figures as f
    left join histories as h
        on f.project_code = h.project_code and f.unit_code = h.unit_code and f.metric = h.metric
    left join peers
        on f.city_code = peers.city_code and f.metric = peers.metric and f.period = peers.period
),

-- how far a value is from each reference, as a ratio (null: no such reference)
ratios as (
    select
        *,
        case when month_derived > 0 and history_scale > 0 then month_derived / greatest(history_scale, floor_value) end
            as derived_to_history,
        case when month_derived > 0 and peer_scale > 0 then month_derived / greatest(peer_scale, floor_value) end
            as derived_to_peers,
        case when month_reported > 0 and history_scale > 0 then month_reported / greatest(history_scale, floor_value) end
            as reported_to_history,
        case when month_reported > 0 and peer_scale > 0 then month_reported / greatest(peer_scale, floor_value) end
            as reported_to_peers,
        -- downward, only against references above the floor (a tiny figure is not a slip
        -- because its project is tiny)
        case when month_derived > 0 and history_scale >= floor_value then month_derived / history_scale end
            as derived_below_history,
        case when month_derived > 0 and peer_scale >= floor_value then month_derived / peer_scale end
            as derived_below_peers,
        case when month_reported > 0 and history_scale >= floor_value then month_reported / history_scale end
            as reported_below_history,
        case when month_reported > 0 and peer_scale >= floor_value then month_reported / peer_scale end
            as reported_below_peers
    from scaled
),

flagged as (
    select
        *,
        (derived_to_history is not null or derived_to_peers is not null)
        and coalesce(derived_to_history >= {{ ratio }}, true)
        and coalesce(derived_to_peers >= {{ ratio }}, true) as derived_up,
        (reported_to_history is not null or reported_to_peers is not null)
        and coalesce(reported_to_history >= {{ ratio }}, true)
        and coalesce(reported_to_peers >= {{ ratio }}, true) as reported_up,
        (derived_below_history is not null or derived_below_peers is not null)
        and coalesce(derived_below_history <= 1.0 / {{ ratio }}, true)
        and coalesce(derived_below_peers <= 1.0 / {{ ratio }}, true) as derived_down,
        (reported_below_history is not null or reported_below_peers is not null)
        and coalesce(reported_below_history <= 1.0 / {{ ratio }}, true)
        and coalesce(reported_below_peers <= 1.0 / {{ ratio }}, true) as reported_down,
        coalesce(ytd_step >= {{ ratio }}, false) as step_up,
        coalesce(ytd_step <= 1.0 / {{ ratio }}, false) as step_down
    from ratios
),

-- only what the steps after need (each row is met again as the figure the next one steps from)
directed as (
    select
        submission_id,
        source_file,
        source_row_number,
        period,
        unit_code,
        city_code,
        project_code,
        metric,
        canonical_unit,
        month_reported,
        ytd_value,
        last_earlier_ytd,
        last_earlier_period,
        month_derived,
        history_scale,
        peer_scale,
        ytd_step,
        case
            when derived_up or step_up or reported_up then 'up'
            when derived_down or step_down or reported_down then 'down'
        end as raw_direction,
        -- how many powers of ten the figure is off by: 10⁴ (万/亿), 10⁸ (元/亿元)
        case
            when
                greatest(
                    least(coalesce(derived_to_history, 1e30), coalesce(derived_to_peers, 1e30)),
                    coalesce(ytd_step, 0)
                ) >= 1e6
                or least(coalesce(derived_below_history, 1), coalesce(derived_below_peers, 1)) <= 1e-6
                then 8
            else 4
        end as factor_exponent,
        -- which figure slipped, should the row be a slip of its own
        case
            -- the month was typed in the wrong unit and the YTD followed it
            when (derived_up and reported_up) or (derived_down and reported_down) then 'month'
            when derived_up or derived_down or step_up or step_down then 'ytd'
            else 'reported_month'  -- only 本月 is wrong; YTD (authoritative) is fine
        end as figure_slipped
    from flagged
),

-- the fall back after a slip is its echo, not a slip: a figure whose step is the opposite
-- of that of the figure it steps from (the series' last earlier month of the year)
directions as (
    select
        project_code,
        unit_code,
        metric,
        period,
        max(raw_direction) as raw_direction
    from directed
    where raw_direction is not null
    group by project_code, unit_code, metric, period
),

echoed as (
    select
        d.*,
        coalesce(d.raw_direction <> stepped_from.raw_direction, false) as is_echo
    from directed as d
    left join directions as stepped_from
        on
            d.project_code = stepped_from.project_code
            and d.unit_code = stepped_from.unit_code
            and d.metric = stepped_from.metric
            and d.last_earlier_period = stepped_from.period
),

rows_judged as (
    select
        *,
        case when not is_echo then raw_direction end as row_direction
    from echoed
),

forms as (
    select
        submission_id,
        canonical_unit,
        count(*) filter (
            (ytd_value > 0 or month_derived > 0)
            and (history_scale is not null or peer_scale is not null or ytd_step is not null)
        ) as comparable,
        count(*) filter (row_direction = 'up') as slipped_up,
        count(*) filter (row_direction = 'down') as slipped_down,
        mode(factor_exponent) filter (row_direction is not null) as form_exponent
    from rows_judged
    group by submission_id, canonical_unit
),

whole_forms as (
    select
        submission_id,
        canonical_unit,
        form_exponent,
        case
            when slipped_up >= 2 and slipped_up >= 0.8 * comparable then 'up'
            when slipped_down >= 2 and slipped_down >= 0.8 * comparable then 'down'
        end as form_direction
    from forms
),

project_figures as (
    select
        r.*,
        w.form_direction is not null as is_whole_form,
        coalesce(w.form_direction, r.row_direction) as direction,
        coalesce(w.form_exponent, r.factor_exponent) as exponent
    from rows_judged as r
    left join whole_forms as w
        on r.submission_id = w.submission_id and r.canonical_unit = w.canonical_unit and w.form_direction is not null
),

corrected_projects as (
    select
        'form_a' as form,
        period,
        unit_code,
        city_code,
        project_code,
        metric,
        canonical_unit,
        submission_id,
        source_file,
        source_row_number,
        ytd_value,
        last_earlier_ytd,
        last_earlier_period,
        month_derived,
        month_reported,
        history_scale,
        peer_scale,
        ytd_step,
        direction,
        is_whole_form,
        is_echo,
        exponent,
        case
            when direction is null then 'none'
            when is_whole_form then 'form'
            else figure_slipped
        end as slipped_figure
    from project_figures
),

-- form S: each unit's (and the city's) YTD against its last earlier YTD of the year
summaries as (
    select
        s.*,
        units.city_code,
        floors.canonical_unit,
        floors.floor_value,
        lag(s.ytd_value) over series as last_earlier_ytd,
        lag(s.period) over series as last_earlier_period
    from {{ ref('stg_forms__summary_indicators') }} as s
    inner join units on s.unit_code = units.unit_code
    inner join floors on s.metric = floors.metric
    where s.is_current_submission
    window series as (partition by s.unit_code, s.metric, left(s.period, 4) order by s.period)
),

summary_steps as (
    select
        *,
        case when ytd_value > 0 and last_earlier_ytd >= floor_value then ytd_value / last_earlier_ytd end
            as ytd_step
    from summaries
),

summary_directed as (
    select
        *,
        case
            when ytd_step >= {{ ratio }} then 'up'
            when ytd_step <= 1.0 / {{ ratio }} then 'down'
        end as raw_direction,
        case when ytd_step >= 1e6 or ytd_step <= 1e-6 then 8 else 4 end as exponent
    from summary_steps
),

corrected_summaries as (
    select
        'form_s' as form,
        period,
        unit_code,
        city_code,
        null as project_code,
        metric,
        canonical_unit,
        submission_id,
        source_file,
        source_row_number,
        ytd_value,
        last_earlier_ytd,
        last_earlier_period,
        null as month_derived,
        month_value as month_reported,
        null as history_scale,
        null as peer_scale,
        ytd_step,
        case when not is_echo then raw_direction end as direction,
        false as is_whole_form,
        is_echo,
        exponent,
        case when raw_direction is not null and not is_echo then 'ytd' else 'none' end as slipped_figure
    from (
        select
            *,
            raw_direction is not null
            and lag(raw_direction) over series is not null
            and raw_direction <> lag(raw_direction) over series as is_echo
        from summary_directed
        window series as (partition by unit_code, metric, left(period, 4) order by period)
    ) as s
),

all_figures as (
    select * from corrected_projects
    union all
    select * from corrected_summaries
),

corrected as (
    select
        *,
        case
            when slipped_figure = 'month' and direction = 'up'
                then coalesce(last_earlier_ytd, 0) + month_derived / power(10, exponent)
            when slipped_figure = 'month' and direction = 'down'
                then coalesce(last_earlier_ytd, 0) + month_derived * power(10, exponent)
            when slipped_figure in ('ytd', 'form') and direction = 'up' then ytd_value / power(10, exponent)
            when slipped_figure in ('ytd', 'form') and direction = 'down' then ytd_value * power(10, exponent)
            else ytd_value
        end as corrected_ytd,
        direction is not null as is_slip
    from all_figures
)

select
    *,
    ytd_value - corrected_ytd as excess_ytd
from corrected
where
    {{ in_period_window() }}
    and (
        history_scale is not null
        or peer_scale is not null
        or ytd_step is not null
        or is_whole_form
    )
