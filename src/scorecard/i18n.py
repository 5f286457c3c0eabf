"""Labels and messages in Chinese and English for every output a person reads.

Rule descriptions are not here: they come from the configuration, so a
manager can word them.

A message is looked up by key and filled with named values (``str.format``), so
both languages carry the same values. Code far from the command line (the
loader, the ledger) does not know the language a person asked for: it calls
``t(key, **values)`` and gets the language in use, which the command line (and
the portal, per request) sets with :func:`use_language`. Outside of those the
language in use is English. See docs/language.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

LABELS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "run_summary": ("考核结果", "Assessment"),
    "partner_id": ("合作伙伴编号", "Partner ID"),
    "partner_name": ("合作伙伴名称", "Partner name"),
    "mode": ("模式", "Mode"),
    "score": ("考核得分", "Score"),
    "band": ("档位", "band"),
    "band_pct": ("扣减比例", "Deduction share"),
    "deduction": ("扣减", "deduction"),
    "breached_rules": ("触发规则", "Breached rules"),
    "status": ("状态", "Status"),
    "active": ("正常", "active"),
    "on_hold": ("暂停结算", "on hold"),
    "terminated": ("中止合作", "terminated"),
    "payout": ("实付金额", "Payout"),
    "held_out": ("期末暂扣余额", "Held (closing)"),
    "held_in": ("期初暂扣余额", "Held (opening)"),
    "released": ("本期释放", "Released"),
    "rule_version": ("规则版本", "Rule version"),
    "metrics": ("考核指标", "Metrics"),
    "metric": ("指标", "Metric"),
    "value": ("数值", "Value"),
    "sub_score": ("单项得分", "Sub-score"),
    "weight": ("权重", "Weight"),
    "valid_complaints": ("有效投诉量", "Valid complaints"),
    "repeat_complaints": ("重复投诉量", "Repeat complaints"),
    "major_complaints": ("重大投诉量", "Major complaints"),
    "complaint_rate_per_10k": ("万户投诉率", "Complaints per 10k users"),
    "on_time_rate": ("投诉及时完成率", "On-time completion rate"),
    "reply_on_time_rate": ("及时首次回复率", "On-time first-reply rate"),
    "avg_resolution_hours": ("平均处理时长(小时)", "Average resolution (hours)"),
    "p90_resolution_hours": ("90%处理时长(小时)", "90th percentile resolution (hours)"),
    "response_score": ("客服工作响应率", "Service-desk response score"),
    "satisfaction": ("集团客户满意度", "Enterprise satisfaction"),
    "refund_total": ("退费扣减", "Refund deductions"),
    "service_cost": ("客服成本", "Customer-service cost"),
    "gross_amount": ("应结算金额", "Gross amount"),
    "billed_users": ("计费用户数", "Billed users"),
    "group_customers": ("集团客户数", "Group customers"),
    "rules": ("考核规则", "Rules"),
    "rule": ("规则", "Rule"),
    "threshold": ("阈值", "Threshold"),
    "breached": ("是否触发", "Breached"),
    "streak": ("连续期数", "Streak"),
    "actions": ("处理措施", "Actions"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "zero_base": ("计费用户为0", "zero base"),
    "settlement": ("结算", "Settlement"),
    "item": ("项目", "Item"),
    "amount": ("金额", "Amount"),
    "refund_deduction": ("退费扣减(双倍/全额)", "Refund deduction (double/full)"),
    "score_deduction": ("考核扣减", "Score-linked deduction"),
    "receivable_in": ("上期结转待扣", "Receivable carried in"),
    "receivable_out": ("结转下期待扣", "Receivable carried out"),
    "holds": ("暂停结算原因", "Holds"),
    "late_pending_tickets": ("超时及待处理工单", "Late and pending tickets"),
    "ticket_id": ("工单编号", "Ticket"),
    "received_at": ("受理时间", "Received"),
    "resolved_at": ("办结时间", "Resolved"),
    "deadline": ("完成时限", "Deadline"),
    "state": ("状态", "State"),
    "on_time": ("及时", "on time"),
    "late": ("超时", "late"),
    "pending": ("待处理", "pending"),
    "more": ("条未显示", "more not shown"),
    "notice": ("整改通知", "rectification notice"),
    "hold_until_compliant": ("暂停结算直至符合要求", "hold until compliant"),
    "hold_months": ("暂停结算(按月)", "hold for months"),
    "terminate": ("中止合作", "terminate"),
    "review": ("提请评审", "review"),
    "sanction": ("处分", "sanction"),
    "release": ("释放暂扣款", "release of held amount"),
    "period": ("考核期", "Period"),
    "history": ("历史记录", "History"),
    "written": ("已写入", "written"),
    "closed": ("已关账", "closed"),
    "draft": ("草稿", "draft"),
    "reopened": ("已重新打开", "reopened"),
    "valid_inputs": ("输入数据校验通过", "inputs are valid"),
    "simulation": ("模拟测算", "Simulation"),
    "notable": ("触发规则、暂停结算、中止合作及释放", "Breaches, holds, terminations and releases"),
    "totals": ("合计", "Totals"),
    "base": ("现行规则", "Current rules"),
    "simulated": ("模拟规则", "Simulated rules"),
    "difference": ("差额", "Difference"),
    "partners_changed": ("个合作伙伴结果有变化", "partners change"),
    "changed": ("有变化", "Changed"),
}


# Finance workbook (export finance) and partner statements (statements).
LABELS |= {
    "draft_mark": ("草稿：本期未关账，金额可能变动", "DRAFT: period not closed, amounts may change"),
    "closed_mark": ("已关账", "Closed"),
    "draft_short": ("草稿", "DRAFT"),
    "amounts_in_yuan": ("金额单位：元", "Amounts in yuan (CNY)"),
    "finance_title": ("结算汇总", "Settlement"),
    "sheet_summary": ("汇总", "Summary"),
    "sheet_partners": ("结算明细", "Partners"),
    "sheet_adjustments": ("调整明细", "Adjustments"),
    "sheet_holds": ("暂停结算与释放", "Holds and releases"),
    "sheet_refunds": ("退费", "Refunds"),
    "sheet_notices": ("通知与处分", "Notices"),
    "sheet_audit": ("版本与输入", "Versions and inputs"),
    "sheet_statement": ("对账单", "Statement"),
    "sheet_rules": ("指标与规则", "Metrics and rules"),
    "sheet_tickets": ("工单", "Tickets"),
    "sheet_trend": ("趋势", "Trend"),
    "by_status": ("按状态汇总", "By status"),
    "by_kind": ("按调整类型汇总", "By adjustment kind"),
    "grand_totals": ("总计", "Grand totals"),
    "partners": ("合作伙伴数", "Partners"),
    "lines": ("笔数", "Lines"),
    "total": ("合计", "Total"),
    "kind": ("类型", "Kind"),
    "basis": ("计算依据", "Basis"),
    "rule_id": ("规则编号", "Rule ID"),
    "check_zero": (
        "勾稽校验：实付+暂扣增加+退费+考核扣减+上期待扣−应结算−结转待扣（应为0）",
        "Check: payout + held increase + refunds + score deduction + receivable in"
        " − gross − receivable out (must be 0)",
    ),
    "adj_gross": ("应结算金额", "Gross amount"),
    "adj_refund": ("退费扣减", "Refund deduction"),
    "adj_score": ("考核扣减", "Score-linked deduction"),
    "adj_receivable_in": ("扣回上期结转待扣", "Receivable carried in"),
    "adj_receivable_out": ("扣减超出部分结转下期", "Shortfall carried to next period"),
    "adj_hold": ("本期暂扣", "Withheld this period"),
    "adj_terminated": ("中止合作暂扣", "Withheld on termination"),
    "adj_release": ("释放以前暂扣", "Release of earlier holds"),
    "basis_gross": ("结算数据：本期应结算金额", "Settlement input: gross amount for the period"),
    "basis_refund": (
        "退费 {refund_id}：{kind} {amount} × {multiplier}",
        "Refund {refund_id}: {kind} {amount} × {multiplier}",
    ),
    "basis_refunds": ("{count} 笔退费（见退费明细）", "Refunds: {count} (see the refund list)"),
    "basis_score": ("考核得分 {score}：扣减应结算金额的 {pct}", "Score {score}: {pct} of the gross amount"),
    "basis_receivable_in": (
        "以前期间扣减超出应结算金额的部分",
        "Deductions above the amount available in earlier periods",
    ),
    "basis_receivable_out": (
        "本期扣减超出可结算金额，差额结转下期扣回",
        "Deductions exceed the amount available; the difference is deducted next period",
    ),
    "basis_hold": ("暂停结算：{reasons}", "Settlement held: {reasons}"),
    "basis_terminated": ("中止合作，待最终结算", "Cooperation terminated: pending final settlement"),
    "basis_release": (
        "暂停结算已解除，释放以前期间暂扣金额",
        "No hold active: amounts held in earlier periods are released",
    ),
    "hold_reason_through": ("暂停结算至 {through}", "held through {through}"),
    "lift_until_compliant": (
        "首个不再触发 {rule} 的考核期随期释放",
        "released with the first period in which {rule} is no longer breached",
    ),
    "lift_through": (
        "暂扣至 {through}；若届时无其他暂停结算，随 {next} 期释放",
        "held through {through}; released with {next} unless another hold is then active",
    ),
    "lift_terminated": (
        "已中止合作，暂扣金额待最终结算",
        "cooperation terminated: held amounts await final settlement",
    ),
    "held_this_period": ("本期新增暂扣", "Withheld this period"),
    "lifts_when": ("解除条件", "Released when"),
    "reasons": ("原因", "Reasons"),
    "refund_id": ("退费编号", "Refund ID"),
    "customer_id": ("客户编号", "Customer"),
    "refund_kind": ("退费方式", "Refund kind"),
    "refund_amount": ("误收金额", "Amount charged"),
    "multiplier": ("倍数", "Multiplier"),
    "source_line": ("源文件行号", "Source line"),
    "double": ("双倍返还", "double"),
    "full": ("全额退还", "full"),
    "description": ("规则说明", "Rule"),
    "text": ("内容", "Text"),
    "audit_value": ("内容", "Value"),
    "period_status": ("期间状态", "Period status"),
    "ruleset_version": ("规则版本", "Rule version"),
    "ruleset_hash": ("规则集哈希", "Rule-set hash"),
    "config_hash": ("配置文件哈希", "Configuration hash"),
    "inputs_hash": ("输入数据哈希", "Inputs hash"),
    "tool_version": ("程序版本", "Tool version"),
    "run_at": ("计算时间(UTC)", "Run at (UTC)"),
    "closed_at": ("关账时间(UTC)", "Closed at (UTC)"),
    "inputs": ("输入文件", "Input files"),
    "table": ("数据表", "Table"),
    "file": ("文件", "File"),
    "rows": ("行数", "Rows"),
    "statement_title": ("合作伙伴考核结算单", "Partner assessment statement"),
    "money_effect": ("从应结算金额到实付金额", "From gross amount to payout"),
    "score_breakdown": ("得分构成", "Score breakdown"),
    "contribution": ("加权得分", "Weighted points"),
    "bands": ("扣减档位", "Deduction bands"),
    "band_min": ("最低得分", "Minimum score"),
    "your_band": ("本期档位", "your band"),
    "to_comply": ("达标要求", "To comply"),
    "trend": ("近12个月趋势", "Last 12 months"),
    "trend_note": ("虚线为当期阈值", "Dashed line: the threshold in force"),
    "tickets_counted": ("计入考核的工单", "Tickets that counted"),
    "only_late_listed": (
        "此处仅列出超时及待处理工单；全部工单见 Excel 对账单。",
        "Only late and pending tickets are listed here; every ticket is in the workbook.",
    ),
    "tickets_summary": (
        "有效投诉 {valid} 件：及时 {on_time} 件，超时 {late} 件，待处理 {pending} 件",
        "{valid} valid complaints: {on_time} on time, {late} late, {pending} pending",
    ),
    "category": ("类别", "Category"),
    "urgent": ("紧急", "urgent"),
    "normal": ("一般", "normal"),
    "difficult": ("疑难", "difficult"),
    "flags": ("标记", "Flags"),
    "repeat": ("重复投诉", "repeat"),
    "major": ("重大投诉", "major"),
    "resolution_hours": ("处理时长(小时)", "Resolution (hours)"),
    "conduct": ("客服工作违规记录", "Service-desk conduct events"),
    "occurred_on": ("发生日期", "Date"),
    "event_type": ("违规类型", "Event"),
    "points": ("扣分", "Points"),
    "note": ("备注", "Note"),
    "attitude": ("服务态度差", "poor attitude"),
    "shirking": ("推诿", "shirking"),
    "concealment": ("隐瞒", "concealment"),
    "false_feedback": ("虚假反馈", "false feedback"),
    "delay": ("拖延", "delay"),
    "unreachable": ("联系不上", "unreachable"),
    "contact_change_unnotified": ("联系方式变更未通知", "contact change not notified"),
    "notices": ("整改通知与处分", "Notices and sanctions"),
    "refunds": ("退费明细", "Refunds"),
    "none": ("无", "None"),
    "not_assessable": ("不适用", "n/a"),
    "more_in_workbook": ("另有 {count} 条见 Excel 对账单", "{count} more in the workbook"),
    "statement_footer": (
        "本对账单仅包含贵方数据。规则版本 {version}；金额单位：元。",
        "This statement holds your data only. Rule version {version}; amounts in yuan (CNY).",
    ),
    "no_tickets": ("本期无计入考核的有效投诉", "No valid complaints this period"),
    "statements_written": ("份对账单已写入", "statements written to"),
    "workbook_written": ("结算工作簿已写入", "settlement workbook written to"),
    "partner_not_assessed": ("{partner} 未在 {period} 考核", "{partner} was not assessed in {period}"),
    "what_lifts": ("暂停结算及解除条件", "Holds and what lifts them"),
    "held_balance": ("暂扣余额", "Held balance"),
    # the month cycle and the record
    "draft_discarded": ("已放弃草稿（已记录）", "draft discarded (recorded)"),
    "moved_aside": ("已移出的输出", "outputs moved aside to"),
    "status_title": ("账本中的各月", "Months in the ledger"),
    "run_by": ("运行人", "Run by"),
    "closed_by": ("关账人", "Closed by"),
    "outputs_match": ("输出与账本一致", "out/ matches"),
    "balances_carried": ("结转余额", "Balances carried"),
    "balance_kind": ("类别", "Kind"),
    "pending_final": ("中止合作，待最终结算", "terminated, pending final settlement"),
    "absent": ("本月未考核", "not assessed this month"),
    "since": ("自", "Since"),
    "receivable": ("待扣款", "Receivable"),
    "held": ("暂扣余额", "Held"),
    "no_balances": ("无结转余额", "No balances carried"),
    "on_hold_count": ("暂停结算", "On hold"),
    "terminated_count": ("中止合作", "Terminated"),
    "hold_until": ("暂停结算直至符合要求", "held until compliant"),
    "hold_months_through": ("暂停结算至 {ends}（{rule}）", "held through {ends} ({rule})"),
    "adj_adjustment": ("以前期间调整", "Prior-period adjustment"),
    "adj_fine": ("违约金", "Fine"),
    "fine_deduction": ("违约金扣减", "Fines"),
    "adjustment": ("以前期间调整", "Adjustment"),
    "held_restated": ("暂扣余额重述", "Held restated"),
    "receivable_restated": ("待扣款重述", "Receivable restated"),
    # disputes applied and prior-period adjustments
    "disputes_applied": ("本期处理的申诉", "Dispute decisions applied"),
    "adjustment_parts": ("以前期间调整明细", "Prior-period adjustment by month"),
    "disputed_period": ("申诉期间", "Disputed month"),
    "record": ("记录类别", "Record"),
    "corrected_period": ("更正期间", "Corrected month"),
    "component": ("构成", "Component"),
    "component_refund": ("退费扣减变化", "refund deduction"),
    "component_score": ("考核扣减变化", "score deduction"),
    "component_fine": ("违约金变化", "fines"),
    "component_hold": ("暂扣与释放时点", "hold timing"),
    "ticket": ("投诉工单", "ticket"),
    "refund": ("退费", "refund"),
    "basis_adjustment": (
        "以前期间调整：已受理申诉 {disputes}（{months}）",
        "Prior-period adjustment: accepted disputes {disputes} ({months})",
    ),
    "sheet_disputes": ("申诉与调整", "Disputes"),
    # --- disputes register and partner portal (docs/disputes.md, docs/portal.md) ---
    "dispute_id": ("申诉编号", "Dispute"),
    "dispute_record": ("申诉对象", "Record"),
    "record_id": ("记录编号", "Record ID"),
    "record_ticket": ("工单", "ticket"),
    "record_refund": ("退费", "refund"),
    "record_conduct": ("违规记录", "conduct event"),
    "correction": ("更正", "Correction"),
    "dispute_status": ("状态", "Status"),
    "dispute_pending": ("待处理", "pending"),
    "dispute_accepted": ("已受理", "accepted"),
    "dispute_rejected": ("已驳回", "rejected"),
    "dispute_late": ("逾期申诉", "late"),
    "dispute_filed": ("申诉已登记", "dispute filed"),
    "filed_by": ("申诉人", "Filed by"),
    "filed_on": ("申诉日期", "Filed on"),
    "decided_by": ("决定人", "Decided by"),
    "decided_on": ("决定时间", "Decided on"),
    "reason": ("理由", "Reason"),
    "no_disputes": ("无申诉", "No disputes"),
    "portal_title": ("合作伙伴服务门户", "Partner portal"),
    "portal_months": ("考核月份", "Months"),
    "portal_notices": ("通知与整改", "Notices"),
    "portal_disputes": ("我的申诉", "Disputes"),
    "portal_month_glance": ("本月概览", "The month"),
    "portal_dispute_queue": ("申诉待办", "Dispute queue"),
    "portal_reports": ("整改报告", "Rectification reports"),
    "portal_logout": ("退出", "Log out"),
    "portal_login": ("登录", "Log in"),
    "portal_account": ("账号", "Account"),
    "portal_password": ("密码", "Password"),
    "portal_change_password": ("修改密码", "Change password"),
    "portal_must_change": ("首次登录须修改一次性密码。", "The one-time password must be changed at the first login."),
    "portal_current_password": ("当前密码", "Current password"),
    "portal_new_password": ("新密码（至少10位）", "New password (at least 10 characters)"),
    "portal_repeat_password": ("再次输入新密码", "New password again"),
    "portal_repeat_differs": ("两次输入的新密码不一致", "the two new passwords differ"),
    "portal_provisional": ("草稿·暂定", "draft · provisional"),
    "portal_statement": ("结算单", "Statement"),
    "portal_nothing": ("无", "None"),
    "portal_dispute": ("申诉", "Dispute"),
    "portal_window_open": ("申诉期截至", "Disputes may be filed up to and including"),
    "portal_window_closed": ("申诉期已于以下日期结束：", "The filing window ended on"),
    "portal_deadline": ("整改期限", "deadline"),
    "portal_tickets": ("工单", "Tickets"),
    "portal_received": ("受理时间", "Received"),
    "portal_resolved": ("办结时间", "Resolved"),
    "portal_ticket_on_time": ("及时", "on time"),
    "portal_ticket_late": ("超时", "late"),
    "portal_ticket_pending": ("未办结", "pending"),
    "portal_ticket_invalid": ("无效", "invalid"),
    "portal_ticket_outside": ("不属本月", "outside the month"),
    "portal_refunds": ("退费", "Refunds"),
    "portal_amount": ("金额", "Amount"),
    "portal_day": ("日期", "Day"),
    "portal_event": ("类别", "Event"),
    "portal_no_event_id": ("无事件编号，不可申诉", "no event id: cannot be disputed"),
    "portal_effect_next_run": (
        "决定在当前月份下次运行时生效。",
        "A decision takes effect at the next run of the open month.",
    ),
    "portal_notice": ("通知", "Notice"),
    "portal_rule": ("规则", "Rule"),
    "portal_attachment": ("附件", "Attachment"),
    "portal_recheck": ("复查", "Re-check"),
    "recheck_passed": ("复查通过", "passed"),
    "recheck_failed": ("复查未通过", "failed"),
    "recheck_needs": ("请选择通过或未通过并填写备注", "choose passed or failed and write a note"),
    "recheck_done": ("该报告已复查", "this report was re-checked already"),
    "portal_waiting": ("待复查", "waiting"),
    "portal_report_new": ("提交整改报告", "Send a rectification report"),
    "portal_report_text": ("整改情况", "What was rectified"),
    "portal_report_file": ("附件（PDF或图片，5 MB以内，可选）", "Attachment (PDF or image up to 5 MB, optional)"),
    "report_needs_text": ("整改报告须填写整改情况", "a rectification report needs its text"),
    "portal_send": ("提交", "Send"),
    "portal_partners": ("考核合作伙伴", "Partners assessed"),
    "portal_breaches": ("触发规则", "Breaches"),
    "portal_holds": ("暂停结算", "Holds"),
    "portal_ends": ("截止", "Ends"),
    "portal_accept": ("受理", "Accept"),
    "portal_reject": ("驳回", "Reject"),
    "portal_decided": ("已决定", "Decided"),
    "portal_csrf": ("请求已过期，请刷新页面后重试", "the form has expired: reload the page and try again"),
    "portal_locked": (
        "连续5次登录失败，账号已锁定15分钟",
        "5 failed logins in a row: the account is locked for 15 minutes",
    ),
    "portal_login_failed": ("账号或密码不正确", "wrong account or password"),
    # --- sign-off, audit and payments (docs/sign-off-and-audit.md) ---
    "approved": ("已审核", "approved"),
    "approved_by": ("审核人", "Approved by"),
    "approved_at": ("审核时间", "Approved at"),
    "prepared_by": ("编制人", "Prepared by"),
    "verified": ("账本校验通过", "ledger verified"),
    "event_id": ("序号", "#"),
    "event_at": ("时间", "At"),
    "user": ("用户", "User"),
    "command": ("操作", "Command"),
    "detail": ("详情", "Detail"),
    "hash": ("哈希", "Hash"),
    "event_log": ("事件日志", "Event log"),
    "not_approved": ("未审核", "not approved"),
    "sheet_payments": ("付款", "Payments"),
    "sheet_changes": ("变更", "Changes"),
    "payee_name": ("收款人", "Payee"),
    "bank_name": ("开户银行", "Bank"),
    "account_no": ("银行账号", "Account number"),
    "reference": ("付款附言", "Reference"),
    "from_run": ("原运行", "From run"),
    "to_run": ("新运行", "To run"),
    "payout_before": ("原实付金额", "Payout before"),
    "payout_after": ("新实付金额", "Payout after"),
    "difference": ("差额", "Difference"),
    "why": ("原因", "Why"),
    "payments_written": ("付款清单已写入", "payment list written"),
    "payments_count": ("笔付款", "payments"),
    "final_settlement_recorded": (
        "最终结算已记录，随 {period} 的运行生效（scorecard run {period}）",
        "final settlement recorded, applied by the run of {period} (scorecard run {period})",
    ),
    "sheet_final": ("最终结算", "Final settlements"),
    "decision": ("决定", "Decision"),
    "pay": ("支付", "pay"),
    "forfeit": ("扣留", "forfeit"),
    "set_off": ("抵扣待扣款", "Set off against receivable"),
    "deposit": ("保证金", "Deposit"),
    "deposit_used": ("保证金抵扣", "Deposit used"),
    "deposit_returned": ("保证金退还", "Deposit returned"),
    "forfeited": ("扣留金额", "Forfeited"),
    "receivable_left": ("剩余待扣款", "Receivable left"),
    "adj_final_settlement": ("最终结算", "Final settlement"),
    "deposits_held": ("保证金余额", "Guarantee deposits held"),
    # fines, caps and the watch list (docs/settlement.md#fines, docs/metrics-and-rules.md#watch-list)
    "fine": ("违约金", "fine"),
    "basis_fine": ("{rule} 违约金：{what}", "Fine under {rule}: {what}"),
    "fine_amount": ("{amount} 元", "{amount} yuan"),
    "fine_pct": ("应结算金额的 {pct}", "{pct} of the gross amount"),
    "basis_capped": (
        "（已按当月扣减上限封顶，封顶前 {uncapped}）",
        " (capped by the month's deduction cap; before the cap {uncapped})",
    ),
    "uncapped": ("封顶前金额", "Before the cap"),
    "watch_title": ("预警名单", "Watch list"),
    "watch_none": ("本月无预警", "Nobody is on watch this month"),
    "watch_reason": ("预警原因", "Why"),
    "streak_trigger": ("连续超标", "streak"),
    "margin_trigger": ("接近阈值", "near the threshold"),
    "next_action": ("下次超标将", "Next breach"),
    "target": ("下月目标", "Target"),
    "watch_sentence_streak": (
        "下月：请保持{keep}（当前 {at}）；再有一个月{breach}该值，{then}。",
        "next month: keep {keep} (you are at {at}); one more month {breach} it {then}",
    ),
    "watch_sentence_margin": (
        "下月：请保持{keep}（当前 {at}，已接近阈值）；一旦有一个月{breach}该值，{then}。",
        "next month: keep {keep} (you are at {at}, close to it); a month {breach} it {then}",
    ),
    "watch_then_terminate": ("将中止合作", "ends the cooperation"),
    "watch_then_hold_until_compliant": ("将暂停结算直至符合要求", "holds your settlement until you comply"),
    "watch_then_hold_months": ("将暂停结算 {months} 个月", "holds your settlement for {months} month(s)"),
    "watch_then_fine": ("将产生违约金 {what}", "brings a fine of {what}"),
    "watch_then_sanction": ("将受到处分：{label}", "brings a sanction: {label}"),
    "watch_then_notice": ("将收到限期整改通知", "brings a rectification notice"),
    "watch_then_review": ("将提请评审", "puts your cooperation up for review"),
    "watch_written": ("预警名单", "watch list"),
    "watch_zero_base": ("计费用户为 0 却有投诉", "complaints on 0 billed users"),
    # reports: the half-year bulletin and the service analysis (docs/reports.md)
    "half_year_title": ("客户投诉情况通报", "Half-year complaint bulletin"),
    "sheet_by_month": ("按月汇总", "By month"),
    "hy_partners": ("按合作伙伴", "By partner"),
    "sheet_partner_months": ("合作伙伴×月", "Partner months"),
    "months_included": ("所含月份（已关账）", "Months (closed)"),
    "months_left_out": ("未纳入的月份", "Months left out"),
    "month_not_run": ("未考核", "not run"),
    "month_draft": ("草稿，未关账", "draft, not closed"),
    "months": ("月数", "Months"),
    "breaches": ("违规次数", "Breaches"),
    "sanctions": ("处分次数", "Sanctions"),
    "hy_on_hold": ("暂停结算（户月）", "On hold (partner-months)"),
    "hy_terminated": ("中止合作", "Terminations"),
    "half_year_note": (
        "数据取自各已关账月份的考核记录；合计为各月记录之和。金额单位：元。",
        "Figures are read from the closed months' assessment records; totals are sums of the months' records. "
        "Amounts in yuan.",
    ),
    "report_written": ("报告已写入", "report written to"),
    "service_title": ("服务分析报告", "Service analysis report"),
    "requests": ("服务请求", "Requests"),
    "resolved_count": ("已办结", "Resolved"),
    "resolution_rate": ("办结率", "Resolution rate"),
    "first_time_rate": ("一次办结率", "First-time completion rate"),
    "sent_back": ("回访不满意转回", "Sent back after revisit"),
    "unfinished": ("未办结清单", "Unfinished"),
    "complaint_list": ("投诉清单", "Complaint list"),
    "sheet_service": ("服务分析", "Service analysis"),
    "reopen_count": ("转回次数", "Sent back"),
    # the demo's portal set-up
    "demo_portal_accounts": (
        "合作伙伴门户：一次性密码仅显示一次，首次登录时须修改",
        "partner portal: one-time passwords, shown once, to be changed at the first login",
    ),
    "demo_portal_partner": ("合作伙伴", "partner"),
    "demo_portal_manager": ("管理员", "manager"),
    "demo_portal_start": ("启动", "start it"),
}


# --- messages: how problems are printed, and the command line (docs/language.md) ---
LABELS |= {
    "errors_found_one": ("发现 {count} 个错误", "{count} error found"),
    "errors_found_other": ("发现 {count} 个错误", "{count} errors found"),
    "nothing_written": ("，未写入任何内容", "; nothing was written"),
    "expected": ("（应为：{expected}）", " (expected {expected})"),
    "list_sep": ("、", ", "),
    "key_on_line": ("{key}（第 {line} 行）", "{key} (line {line})"),
    "and_more": ("等，另有 {count} 条", " and {count} more"),
    "grouped_warning": ("{where}：{count} 条{things}{why}：{named}", "{where}: {count} {things} {why}: {named}"),
    "ledger_unreadable": ("{db}：账本无法读取或写入：{why}", "{db}: the ledger cannot be read or written: {why}"),
    "os_a_file": ("某个文件", "a file"),
    "os_hint": ("（{hint}）", " ({hint})"),
    "os_hint_space": ("请释放磁盘空间后重新运行该命令", "free some space and run the command again"),
    "os_hint_permissions": ("请检查该文件夹的权限", "check the folder's permissions"),
    "os_hint_read_only": (
        "文件系统为只读，请在可写的副本上操作",
        "the file system is read-only; work on a writable copy",
    ),
    "os_hint_folder": ("有一个文件夹占用了文件的位置，请将其移走", "a folder is in the way of a file; move it"),
    "lang_option": ("--lang 只能是 zh 或 en", "--lang must be zh or en"),
    "format_option": ("--format 只能是 table、csv 或 json", "--format must be table, csv or json"),
    "not_a_format": ("不是可用的输出格式：{value}", "not a format: {value}"),
    "init_done": (
        "{root}：已创建 config/scorecard.toml、inputs/、out/ —— 请将每月的文件放入 inputs/YYYY-MM/",
        "{root}: config/scorecard.toml, inputs/, out/ — put a month's files in inputs/YYYY-MM/",
    ),
    "run_seq": ("第 {run} 次运行", "run {run}"),
    "ruleset_from": ("{version}（自 {since} 起）", "{version} (from {since})"),
    "config_ok": ("{config}：校验通过 —— 规则集 {versions}", "{config}: OK — rule sets {versions}"),
    "events_head_one": ("共 {count} 条事件，链尾哈希 {digest}", "{count} event, head {digest}"),
    "events_head_other": ("共 {count} 条事件，链尾哈希 {digest}", "{count} events, head {digest}"),
    "payments_total_one": ("{count} 笔付款，合计 {total}", "{count} payment, total {total}"),
    "payments_total_other": ("{count} 笔付款，合计 {total}", "{count} payments, total {total}"),
    "pay_or_forfeit": ("--pay 与 --forfeit 须且只能给出一个", "give exactly one of --pay or --forfeit"),
    "one_of_ticket_refund_conduct": (
        "--ticket、--refund、--conduct 须且只能给出一个",
        "give exactly one of --ticket, --refund, --conduct",
    ),
    "accept_or_reject": ("--accept 与 --reject 须且只能给出一个", "give exactly one of --accept, --reject"),
    "partner_or_manager": (
        "--partner PID 与 --manager 须且只能给出一个",
        "give exactly one of --partner PID, --manager",
    ),
    "one_time_password": (
        "{name}（{role}）：一次性密码 {password}  （仅显示这一次；首次登录时须修改）",
        "{name} ({role}): one-time password {password}  (shown once; it must be changed at the first login)",
    ),
    "account_disabled_one": ("已停用（结束了 {count} 个会话）", "disabled ({count} session ended)"),
    "account_disabled_other": ("已停用（结束了 {count} 个会话）", "disabled ({count} sessions ended)"),
    "account_name": ("账号", "name"),
    "account_role": ("角色", "role"),
    "partner": ("合作伙伴", "partner"),
    "must_change": ("须修改密码", "must change password"),
    "disabled": ("停用时间", "disabled"),
    "locked_until": ("锁定至", "locked until"),
    "created": ("创建", "created"),
}


# --- messages: the ledger's month cycle (docs/ledger.md) ---
LABELS |= {
    "hint_reopen_first": (
        "请先重新打开：scorecard reopen {period} --reason …",
        "reopen it first: scorecard reopen {period} --reason …",
    ),
    "hint_only_last_reopens": (
        "只有最后一个已关账月份（{last}）可以重新打开",
        "only the last closed month ({last}) can be reopened",
    ),
    "run_closed": ("{period} 已关账，不能再次运行（{hint}）", "{period} is closed and cannot be run again ({hint})"),
    "run_out_of_order": (
        "无法运行 {period}：最后一个已关账月份是 {last}，下一个应运行的是 {next}",
        "cannot run {period}: the last closed month is {last}, so the next to run is {next}",
    ),
    "run_other_draft": (
        "无法运行 {period}：{draft} 是草稿（{by} 于 {at} 运行）；请先关账（scorecard close {draft}），"
        "或将其放弃（scorecard run {period} --discard-draft）",
        "cannot run {period}: {draft} is a draft (run by {by} at {at}); close it first (scorecard close {draft}),"
        " or discard it (scorecard run {period} --discard-draft)",
    ),
    "not_closed": ("{period} 未关账", "{period} was not closed"),
    "not_run": ("{period} 未运行", "{period} was not run"),
    "nothing_recorded": ("未记录任何内容", "nothing was recorded"),
    "close_not_run": ("{period} 尚未运行：没有可关账的内容", "{period} has not been run: nothing to close"),
    "close_closed": ("{period} 已经关账", "{period} is already closed"),
    "last_closed_is": ("最后一个已关账月份是 {last}", "the last closed month is {last}"),
    "none_closed": ("还没有已关账的月份", "no month is closed"),
    "reopen_not_last": (
        "无法重新打开 {period}：{where}；只有最后一个已关账月份可以重新打开",
        "cannot reopen {period}: {where}; only the last closed month can be reopened",
    ),
    "reopen_needs_reason": ("重新打开须说明原因（--reason）", "a reopening needs a reason (--reason)"),
    "reopen_other_draft": (
        "无法重新打开 {period}：{draft} 是草稿（{by} 于 {at} 运行）；"
        "请先将其关账，或使用 --discard-draft 重新打开并放弃该草稿",
        "cannot reopen {period}: {draft} is a draft (run by {by} at {at}); close it, or reopen with --discard-draft"
        " to discard it",
    ),
    "chain_broken": (
        "事件日志已损坏（{broken}）；{what}：请运行 scorecard verify",
        "the event log is broken ({broken}); {what}: run scorecard verify",
    ),
}


# --- messages: sign-off and final settlement (docs/sign-off-and-audit.md) ---
LABELS |= {
    "who_may_approve": (
        "除运行人 {by} 之外的任何人均可审核：scorecard --user NAME approve {period}",
        "anyone but {by}, who ran it: scorecard --user NAME approve {period}",
    ),
    "approval_voided": (
        "（{by} 于 {at} 的审核针对的是第 {run} 次运行，已因之后的运行或重新打开而失效）",
        " (the approval by {by} at {at} was of run {run}, voided by a later run or reopening)",
    ),
    "close_not_approved": (
        "无法关账 {period}：其草稿（第 {run} 次运行，{by} 于 {at} 运行）尚未审核{why}；"
        "配置要求先审核（approval.required = true）；{who}",
        "cannot close {period}: its draft (run {run}, run by {by} at {at}) is not approved{why};"
        " the configuration requires an approval (approval.required = true); {who}",
    ),
    "nothing_approved": ("未记录任何审核", "nothing was approved"),
    "approve_not_run": ("{period} 尚未运行：没有可审核的内容", "{period} has not been run: nothing to approve"),
    "approve_closed": ("{period} 已关账：只有草稿需要审核", "{period} is closed: only a draft is approved"),
    "approve_own_run": (
        "{user} 运行了 {period} 的草稿（第 {run} 次运行），不能自行审核；{who}",
        "{user} ran {period}'s draft (run {run}) and cannot approve it; {who}",
    ),
    "approve_twice": (
        "{period} 第 {run} 次运行已由 {by} 于 {at} 审核",
        "{period} run {run} is already approved by {by} at {at}",
    ),
    "final_needs_reason": ("最终结算须说明原因（--reason）", "a final settlement needs a reason (--reason)"),
    "final_none_closed": (
        "还没有已关账的月份：最终结算针对的是已关账月份结转的余额",
        "no month is closed: a final settlement settles balances carried out of a closed month",
    ),
    "final_not_terminated": (
        "{partner} 在 {last} 不是已中止合作的合作伙伴：最终结算只适用于已中止合作者",
        "{partner} is not a terminated partner in {last}: final settlement is for those",
    ),
    "final_nothing": (
        "{partner} 在 {last} 之后没有待最终结算的暂扣余额或保证金：无需结算",
        "{partner} has no held balance or deposit pending final settlement after {last}: nothing to settle",
    ),
    "final_twice": (
        "{partner} 的最终结算已记录在 {period}",
        "a final settlement of {partner} is already recorded for {period}",
    ),
    "final_pay_or_forfeit": ("最终结算须为 --pay 或 --forfeit", "a final settlement is --pay or --forfeit"),
}


# --- messages: payments (docs/sign-off-and-audit.md) ---
LABELS |= {
    "no_ledger": ("{db} 处没有账本：请先运行一个月份", "no ledger at {db}: run a month first"),
    "payees_not_given": ("inputs/{period}/payees.csv（未提供）", "inputs/{period}/payees.csv (not given)"),
    "paid_without_payee": (
        "合作伙伴 '{partner}'（{name}）在 {period} 应付 {amount}，但 payees 中没有其收款信息",
        "partner '{partner}' ({name}) is paid {amount} in {period} but has no row in payees",
    ),
    "paid_without_payee_expected": (
        "每个应付款的合作伙伴一行：partner_id, payee_name, bank_name, account_no",
        "one row per partner paid: partner_id, payee_name, bank_name, account_no",
    ),
    "pay_not_run": ("{period} 尚未运行：没有可支付的款项", "{period} has not been run: nothing to pay"),
    "pay_draft": (
        "{period} 是草稿（第 {run} 次运行）：付款清单只从已关账月份导出；"
        "请先审核并关账（scorecard approve {period}，scorecard close {period}）",
        "{period} is a draft (run {run}): payments are exported from closed months only;"
        " approve and close it first (scorecard approve {period}, scorecard close {period})",
    ),
    "pay_mismatch": (
        "付款合计（{total}）与当月实付金额不符",
        "the payments ({total}) do not add up to the month's payout",
    ),
}


# --- messages: runs, closes and reads of the ledger (docs/ledger.md) ---
LABELS |= {
    "no_input_folder": ("本考核期没有输入文件夹", "no input folder for this period"),
    "a_folder": ("文件夹 {folder}", "a folder {folder}"),
    "rules_changed": (
        "{period} 的规则自其草稿运行以来已变更（规则集 {before} -> {now}）；"
        "如需按新规则重新考核，请加 --allow-rule-change 再次运行",
        "the rules for {period} changed since its draft was run (rule set {before} -> {now});"
        " run again with --allow-rule-change to re-assess it",
    ),
    "close_changed": (
        "无法关账 {period}：自其草稿运行以来，{changed}；请先重新运行",
        "cannot close {period}: {changed} since its draft was run; re-run it first",
    ),
    "close_final_waiting": (
        "无法关账 {period}：{who} 的最终结算是在其草稿运行之后记录的；请先重新运行",
        "cannot close {period}: the final settlement of {who} was recorded after its draft was run; re-run it first",
    ),
    "changed_config": ("决定它的配置已变更", "the configuration that decides it changed"),
    "changed_inputs": ("其输入（{folder}）已变更", "its inputs ({folder}) changed"),
    "no_assessed_month": ("{partner} 在账本中没有已考核的月份", "{partner} has no assessed month in the ledger"),
    "ledger_busy": (
        "账本正忙（另一个 scorecard 命令正在写入）：{why}",
        "the ledger is busy (another scorecard command is writing): {why}",
    ),
    "not_been_run": ("{period} 尚未运行", "{period} has not been run"),
}


# --- messages: the ledger file's health (docs/ledger.md) ---
LABELS |= {
    "ledger_unusable": ("{what}；未读取也未写入任何内容", "{what}; nothing was read or written"),
    "ledger_is_folder": ("这是一个文件夹，不是账本文件", "a folder, not a ledger file"),
    "ledger_is_folder_todo": ("账本文件（--db FILE）", "the ledger file (--db FILE)"),
    "ledger_missing": ("此处没有账本", "no ledger here"),
    "ledger_missing_todo": (
        "工作区的 scorecard.db（请检查 --workspace 和 --db，或从备份恢复）",
        "the workspace's scorecard.db (check --workspace and --db, or restore a backup)",
    ),
    "ledger_empty": ("账本文件为空（0 字节）", "the ledger file is empty (0 bytes)"),
    "ledger_restore": ("从备份恢复的账本", "the ledger restored from a backup"),
    "ledger_not_sqlite": ("不是账本：该文件不是 SQLite 数据库", "not a ledger: the file is not an SQLite database"),
    "foreign_journal": (
        "账本旁的回滚日志（-journal）来自该账本的另一个副本",
        "the rollback journal beside the ledger was left by another copy of it",
    ),
    "foreign_journal_todo": (
        "将 -journal 文件移走（它不属于此文件），然后重新运行该命令",
        "move the -journal file away (it does not belong to this file), then run the command again",
    ),
    "ledger_restore_damaged": (
        "从备份恢复的账本（请保留损坏的文件以便检查）",
        "the ledger restored from a backup (keep the damaged file to inspect it)",
    ),
    "ledger_damaged": ("账本已损坏（{why}）", "the ledger is damaged ({why})"),
    "ticket_chunk_missing": (
        "账本已损坏：{period} 缺少工单块 {chunk}",
        "the ledger is damaged: ticket chunk {chunk} of {period} is missing",
    ),
    "ticket_chunk_damaged": (
        "账本已损坏：{period} 的工单块 {chunk} 与其 SHA-256 不符，未读取",
        "the ledger is damaged: ticket chunk {chunk} of {period} no longer matches its SHA-256; it was not read",
    ),
    "ledger_damaged_check": (
        "账本已损坏（SQLite quick check：{listed}{more}）",
        "the ledger is damaged (SQLite quick check: {listed}{more})",
    ),
    "ledger_foreign": (
        "不是 scorecard 账本（是一个含有其他数据表的 SQLite 数据库：{tables}）",
        "not a scorecard ledger (an SQLite database with other tables: {tables})",
    ),
    "ledger_foreign_todo": ("工作区的账本", "the workspace's ledger"),
    "ledger_newer": (
        "该账本由更新版本的 scorecard 写入（结构版本 {newest}；本版本最高支持 {known}）",
        "the ledger was written by a newer scorecard (schema {newest}; this version knows up to {known})",
    ),
    "ledger_newer_todo": ("写入它的 scorecard 版本或更新的版本", "the scorecard version that wrote it, or a newer one"),
    "new_ledger_exists": (
        "给出了 --new-ledger，但此处已有账本（账本永远不会被替换）",
        "--new-ledger given, but a ledger exists here (it is never replaced)",
    ),
    "new_ledger_exists_todo": ("不加 --new-ledger 运行", "run without --new-ledger"),
    "ledger_lost": (
        "此处没有账本，但 {out} 中有已考核的月份（{months}）：账本被移动或删除了，或 --db 写错了",
        "no ledger here, but {out} holds assessed months ({months}): the ledger was moved or deleted,"
        " or --db is mistyped",
    ),
    "ledger_lost_todo": (
        "恢复账本，或使用 --new-ledger 开始一段新的历史（将不再记得这些月份）",
        "the ledger restored, or --new-ledger to start a new history that forgets those months",
    ),
}


# --- messages: disputes (docs/disputes.md) ---
LABELS |= {
    "not_a_correction": ("不是对{kind}的有效更正：{text}", "not a correction of a {kind}: {text}"),
    "ticket_correction_expected": (
        "invalid，或 resolved_at=YYYY-MM-DD HH:MM[:SS]",
        "invalid, or resolved_at=YYYY-MM-DD HH:MM[:SS]",
    ),
    "dispute_not_assessed": (
        "{period} 尚未考核：只能对已关账月份或当前草稿提出申诉",
        "{period} has not been assessed: only a closed month or the open draft can be disputed",
    ),
    "record_of": ("{period} 的{kind} {id}", "{kind} {id} of {period}"),
    "dispute_no_record": ("考核记录中没有 {what}", "no {what} in the record"),
    "dispute_owner_absent": (
        "{owner} 未在 {period} 考核：其{kind} {id} 未计入考核",
        "{owner} was not assessed in {period}: its {kind} {id} did not count",
    ),
    "record_invalid": ("是无效工单", "is invalid"),
    "record_left_out": ("未纳入当月考核", "was left out of the month"),
    "dispute_did_not_count": (
        "{what}{why}：它未计入考核，没有可更正的内容",
        "{what} {why}: it did not count, there is nothing to correct",
    ),
    "dispute_resolved_before": (
        "resolved_at {resolved} 早于该工单的受理时间（{received}）",
        "resolved_at {resolved} is before the ticket was received ({received})",
    ),
    "dispute_event_id_shared": (
        "{what}：有 {count} 条违规记录使用这个 event_id，因此它无法指明其中任何一条",
        "{what}: {count} conduct rows carry this event_id, so it names none of them",
    ),
    "not_a_record_kind": ("不是可申诉的记录类别：{kind}", "not a kind of record: {kind}"),
    "dispute_empty_id": ("被申诉记录的编号为空", "the disputed record's id is empty"),
    "dispute_needs_reason": ("申诉须说明理由", "a dispute needs a reason"),
    "dispute_standing_accepted": (
        "{what} 已有一项已受理的申诉（{dispute}）",
        "{what} already has an accepted dispute ({dispute})",
    ),
    "dispute_standing_pending": (
        "{what} 已有一项待处理的申诉（{dispute}）",
        "{what} already has a pending dispute ({dispute})",
    ),
    "dispute_window_closed": (
        "{period} 的申诉期已于 {last} 结束（该月结束后 {days} 天）；申诉日期为 {filed}",
        "the filing window for {period} ended on {last} ({days} days after the month); filed on {filed}",
    ),
    "dispute_window_expected": (
        "在申诉期内提出，或使用 --late 受理逾期申诉",
        "a filing within the window, or --late for one accepted after it",
    ),
    "decision_needs_note": ("作出决定须填写备注", "a decision needs a note"),
    "no_dispute": ("没有申诉 {dispute}", "no dispute {dispute}"),
    "dispute_decided": ("{dispute} 已经{status}（{by}，{on}）", "{dispute} was already {status} ({by}, {on})"),
    "dispute_other_accepted": (
        "{kind} {id} 已有一项已受理的申诉（{dispute}）",
        "{kind} {id} already has an accepted dispute ({dispute})",
    ),
}


# --- messages: disputes, the register's list ---
LABELS |= {
    "not_a_dispute_status": ("不是申诉状态：{status}", "not a dispute status: {status}"),
}


# --- messages: the disputes table of a month's inputs (docs/disputes.md) ---
LABELS |= {
    "row_dispute_id_used": ("申诉编号 '{dispute}' 已被使用", "dispute id '{dispute}' is already used"),
    "row_dispute_id_used_expected": ("本账本中未用过的编号", "an id not used before in this ledger"),
    "not_a_month": ("不是月份：'{value}'", "not a month: '{value}'"),
    "row_period_not_open": (
        "{disputed} 既不是已关账月份，也不是 {period}",
        "{disputed} is neither a closed month nor {period}",
    ),
    "row_period_expected": ("已关账月份或 {period}", "a closed month or {period}"),
    "row_no_record": ("{disputed} 中没有 {kind} '{id}'", "no {kind} '{id}' in {disputed}"),
    "row_no_record_expected": ("{disputed} 的某个 {key}", "a {key} of {disputed}"),
    "row_other_partner": (
        "{kind} '{id}' 属于合作伙伴 '{owner}'，而不是 '{partner}'",
        "{kind} '{id}' is partner '{owner}''s, not '{partner}''s",
    ),
    "row_other_partner_expected": ("'{partner}' 的 {kind}", "a {kind} of '{partner}'"),
    "row_did_not_count": (
        "{kind} '{id}' 未计入 {disputed} 的考核：没有可更正的内容",
        "{kind} '{id}' did not count in {disputed}: nothing to correct",
    ),
    "row_did_not_count_expected": ("计入考核的记录", "a record that counted"),
    "row_not_a_correction": ("不是有效的更正：'{value}'", "not a correction: '{value}'"),
    "row_resolved_before": (
        "resolved_at {resolved} 早于该工单的 received_at {received}",
        "resolved_at {resolved} is before the ticket's received_at {received}",
    ),
    "row_filed_late": (
        "申诉日期为 {filed}，晚于 {disputed} 的申诉期截止日 {last}",
        "filed on {filed}, after the window for {disputed} closed on {last}",
    ),
    "row_filed_late_expected": ("在申诉期内提出，或 late = true", "a filing within the window, or late = true"),
    "row_rejected_correction": ("已驳回：其更正不予采用", "rejected: its correction is ignored"),
    "row_pending": ("待处理：不予采用", "pending: not applied"),
    "row_already_accepted": (
        "{disputed} 的 {kind} '{id}' 已有一项已受理的申诉",
        "{kind} '{id}' of {disputed} already has an accepted dispute",
    ),
    "row_already_accepted_expected": ("每条记录只能有一项已受理的申诉", "one accepted dispute per record"),
}


# --- messages: the workspace and the demo ---
LABELS |= {
    "no_workspace": ("此处没有工作区", "no workspace here"),
    "no_workspace_expected": (
        "一个工作区文件夹（scorecard init FOLDER）",
        "a workspace folder (scorecard init FOLDER)",
    ),
    "workspace_locked": (
        "另一个 scorecard 命令正在此工作区上运行；请待其结束后再试",
        "another scorecard command is running on this workspace; try again when it ends",
    ),
    "workspace_exists": ("此处已有工作区", "a workspace already exists here"),
    "no_fixtures": ("此处没有示例数据", "no fixtures here"),
    "no_fixtures_expected": ("含有 inputs/YYYY-MM/ 的文件夹", "a folder with inputs/YYYY-MM/"),
    "not_a_demo_folder": (
        "该文件夹已存在且不是演示工作区；未作任何改动",
        "the folder exists and is not a demo workspace; nothing was changed",
    ),
    "not_a_demo_folder_expected": (
        "一个新文件夹，或由 scorecard demo 创建的文件夹",
        "a new folder, or one made by scorecard demo",
    ),
    "demo_month": (
        "{period} 规则 {version}：{partners}，{on_hold} 个暂停结算，{terminated} 个中止合作，{warnings}；"
        "触发规则：{breached}",
        "{period} rules {version}: {partners}, {on_hold} on hold, {terminated} terminated, {warnings};"
        " breached: {breached}",
    ),
    "demo_workspace": (
        "工作区：{root}  （scorecard -w {root} explain PARTNER_ID {period}）",
        "workspace: {root}  (scorecard -w {root} explain PARTNER_ID {period})",
    ),
}


# --- messages: simulate (docs/metrics-and-rules.md) ---
LABELS |= {
    "set_no_item": ("此处没有 {part} 这一项", "no item {part} here"),
    "set_no_item_expected": ("一个 [序号] 或规则编号", "an [index] or a rule id"),
    "set_cannot_go_into": ("无法进入 {part}", "cannot go into {part}"),
    "set_not_assignment": ("不是赋值", "not an assignment"),
    "rules_file_unreadable": ("无法读取规则集：{why}", "cannot read the rule set: {why}"),
    "simulate_no_change": ("没有可模拟的变更：请给出要试算的规则", "no change to simulate: give the rules to try"),
    "simulate_no_change_expected": (
        "--rules FILE（一个规则集）或 --set path=value，例如 --set rules.c-complaint-rate.threshold=4（可重复）",
        "--rules FILE (a rule set) or --set path=value, e.g. --set rules.c-complaint-rate.threshold=4 (repeatable)",
    ),
}


# --- messages: config check (docs/metrics-and-rules.md) ---
LABELS |= {
    "range_between": ("介于 {low} 与 {high} 之间", "between {low} and {high}"),
    "range_at_least": ("不小于 {low}", "{low} or more"),
    "bands_overlap": ("有两个档位都从 {m} 开始：档位重叠", "two bands start at {m}: they overlap"),
    "bands_overlap_expected": ("每个 min_score 一个档位", "one band per min_score"),
    "bands_gap": ("低于 {m} 的得分不属于任何档位（存在空档）", "scores below {m} fall in no band (a gap)"),
    "bands_gap_expected": ("一个 min_score = 0 的档位", "a band with min_score = 0"),
    "bands_inverted": (
        "得分较高的档位扣减比例反而高于得分较低的档位",
        "a higher score band deducts more than a lower one",
    ),
    "bands_inverted_expected": ("得分越低扣减越多", "deductions that grow as the score falls"),
    "points_too_few": ("评分表至少需要两个点", "a points table needs at least two points"),
    "points_not_increasing": ("x 值不是严格递增", "x values are not strictly increasing"),
    "points_not_increasing_expected": ("按 x 排序的 [[x, score], ...]", "[[x, score], ...] sorted by x"),
    "points_not_monotonic": ("评分表不单调：得分忽升忽降", "the table is not monotonic: scores go up and down"),
    "points_not_monotonic_expected": ("只升不降或只降不升的得分", "scores that only rise or only fall"),
    "points_outside": ("有单项得分超出 0–100", "a sub-score outside 0–100"),
    "points_outside_expected": ("0 到 100 之间的得分", "scores between 0 and 100"),
    "points_x_outside": ("x = {x} 超出 {metric} 的取值范围", "x = {x} is outside the range of {metric}"),
    "metric_values": ("{metric} 的取值{range}", "{metric} values {range}"),
    "share_hint": ("（比例：75 % 写作 0.75）", " (a share: 0.75 for 75 %)"),
    "weights_sum": ("权重合计为 {total}", "weights sum to {total}"),
    "weights_sum_expected": ("合计为 1 的权重", "weights that sum to 1"),
    "mode_lacks_metric": ("{mode} 模式的合作伙伴没有 {metric}", "{mode} partners have no {metric}"),
    "no_points_table": ("该指标没有评分表", "no points table for this metric"),
    "fallback_no_weight": ("{target} 在任何模式中都没有权重", "{target} has no weight in any mode"),
    "did_you_mean_share": ("；是否想写 {share}？", "; did you mean {share}?"),
    "threshold_outside": (
        "规则 {rule}：阈值 {threshold} 超出 {metric} 的取值范围{hint}",
        "rule {rule}: threshold {threshold} is outside the range of {metric}{hint}",
    ),
    "threshold_range": ("阈值{range}", "a threshold {range}"),
    "rule_too_many_decimals": ("规则 {rule}：小数超过 2 位", "rule {rule}: more than 2 decimals"),
    "too_many_decimals": ("小数超过 2 位", "more than 2 decimals"),
    "yuan_2_decimals": ("以元为单位，最多 2 位小数", "yuan with at most 2 decimals"),
    "rule_metric_not_in_mode": (
        "规则 {rule} 使用了 {metric}，而 {mode} 模式的合作伙伴没有该指标",
        "rule {rule} uses {metric}, which {mode} partners do not have",
    ),
    "action_after_termination": (
        "在连续 {first} 期时触发，但合作伙伴在连续 {terminate_at} 期时已中止合作",
        "fires at streak {first}, but the partner is terminated at streak {terminate_at}",
    ),
    "action_after_termination_expected": ("连续期数不超过 {terminate_at}", "a streak of at most {terminate_at}"),
    "terminates_at_first": ("首次触发即中止合作", "terminates at the first breach"),
    "fine_neither": ("违约金既没有 'amount' 也没有 'pct'", "a fine without 'amount' or 'pct'"),
    "fine_neither_expected": ("amount = 元，或 pct = 占应结算金额的比例", "amount = yuan, or pct = share of the gross"),
    "fine_both": ("违约金同时给出了 'amount' 和 'pct'", "a fine with both 'amount' and 'pct'"),
    "fine_both_expected": (
        "amount（元）或 pct（占应结算金额的比例）二者之一",
        "one of amount (yuan) or pct (of the gross)",
    ),
    "outside_0_1": ("{value} 超出 0–1", "{value} is outside 0–1"),
    "share_of_gross": ("占应结算金额的比例，介于 0 与 1 之间", "a share of the gross between 0 and 1"),
    "share_of_gross_example": (
        "占应结算金额的比例，介于 0 与 1 之间（0.1 = 10 %）",
        "a share of the gross between 0 and 1 (0.1 = 10 %)",
    ),
    "share_of_threshold": ("占阈值的比例", "a share of the threshold"),
    "calendar_missing": (
        "{window} 的时限需要 {year} 年的官方节假日安排，而本版本的节假日数据尚未包含该年（覆盖 {first}–{last}）",
        "a {window} window needs the official calendar of {year}, which is not published in this version of the"
        " holiday data (covers {first}–{last})",
    ),
    "calendar_missing_expected": (
        "按自然小时计的时限、更短的时限，或更新 'holidays' 软件包",
        "clock-hour windows, a shorter window or an updated 'holidays' package",
    ),
}


# --- messages: the configuration file (docs/metrics-and-rules.md) ---
LABELS |= {
    "not_allowed_here": ("此处不允许 {value}", "{value} is not allowed here"),
    "did_you_mean": ("；是否想写 {guess}？", "; did you mean {guess}?"),
    "metric_choices": (
        "（应为以下之一：{choices}，或以 {prefix}<stage> 表示 [windows.stages] 中的某个阶段）",
        " (expected one of: {choices}, or {prefix}<stage> for a stage of [windows.stages])",
    ),
    "not_a_window": (
        "不是有效的时限：{text}（应为如 '24h'、'2wd' 或 '8bh'）",
        "not a window: {text} (expected e.g. '24h', '2wd' or '8bh')",
    ),
    "stage_not_a_column_name": (
        "{key}：{name} 不是有效的列名（应为小写字母、数字和 _）",
        "{key}: {name} is not a column name (expected lower-case letters, digits and _)",
    ),
    "stage_not_datetime": (
        "{key}：{name} 是 complaints 中的列，但不是日期时间",
        "{key}: {name} is a column of complaints that is not a date-time",
    ),
    "stage_ends_at_received": ("to：阶段不能以 received_at 结束", "to: a stage cannot end at received_at"),
    "stage_same_columns": ("from 与 to 是同一列 {name}", "from and to are the same column {name}"),
    "stage_bad_name": (
        "阶段名 {name}：应为小写字母、数字和 _",
        "stage name {name}: expected lower-case letters, digits and _",
    ),
    "not_business_hours": (
        "不是有效的时段：{value}（应为如 '09:00-18:00'）",
        "not a span of hours: {value} (expected e.g. '09:00-18:00')",
    ),
    "business_hours_reversed": (
        "工作时间 {value} 的结束早于开始（应为如 '09:00-18:00'）",
        "business hours {value} end before they start (expected e.g. '09:00-18:00')",
    ),
    "points_negative": ("{key}：扣分须 >= 0", "{key}: points must be >= 0"),
    "hold_months_needs_months": ("hold_months 须给出 'months'", "hold_months needs 'months'"),
    "months_for_hold_months": ("'months' 仅用于 hold_months", "'months' belongs to hold_months only"),
    "amount_pct_for_fine": ("'amount' 和 'pct' 仅用于 fine", "'amount' and 'pct' belong to fine only"),
    "sanction_needs_label": ("处分须给出 'label'", "a sanction needs a 'label'"),
    "threshold_or_against": (
        "'threshold' 与 'against' 须且只能给出一个",
        "give exactly one of 'threshold' or 'against'",
    ),
    "duplicate_rule_id": ("规则编号重复：{ids}", "duplicate rule id: {ids}"),
    "mapped_to_unknown": (
        "{table}：{header} 映射到 {target}，但它不是 {table} 的列（列：{columns}）",
        "{table}: {header} maps to {target}, which is not a column of {table} (columns: {columns})",
    ),
    "none_configured": ("未配置", "none configured"),
    "no_such_stage": (
        "{where}：[windows.stages] 中没有阶段 {name}（已有阶段：{known}）",
        "{where}: no stage {name} in [windows.stages] (stages: {known})",
    ),
    "ruleset_versions_unique": ("规则集版本不能重复", "rule set versions must be unique"),
    "rulesets_same_period": ("有两个规则集在同一考核期生效", "two rule sets take effect in the same period"),
    "no_ruleset_in_effect": ("{period} 没有生效的规则集", "no rule set is in effect for {period}"),
    "no_ruleset_in_effect_expected": (
        "effective_from <= {period}；最早的是 {first}",
        "effective_from <= {period}; the first is {first}",
    ),
    "unknown_key": ("未知的配置项 {key}", "unknown key {key}"),
    "one_of": ("以下之一：{choices}", "one of: {choices}"),
    "not_toml": ("不是有效的 TOML：{why}", "not valid TOML: {why}"),
    "config_not_found": ("找不到配置文件", "configuration file not found"),
    "not_utf8_text": ("不是 UTF-8 文本", "not UTF-8 text"),
    "utf8_toml": ("UTF-8 编码的 TOML 文件", "a UTF-8 TOML file"),
    "schema_missing": ("缺少必填项", "Field required"),
    "schema_int_parsing": (
        "应为整数，无法将该文本解析为整数",
        "Input should be a valid integer, unable to parse string as an integer",
    ),
    "schema_int_type": ("应为整数", "Input should be a valid integer"),
    "schema_int_from_float": (
        "应为整数，而该数带有小数部分",
        "Input should be a valid integer, got a number with a fractional part",
    ),
    "schema_decimal_parsing": ("应为有效的数值", "Input should be a valid decimal"),
    "schema_decimal_type": (
        "数值应为整数、小数或文本",
        "Decimal input should be an integer, float, string or Decimal object",
    ),
    "schema_float_parsing": (
        "应为数值，无法将该文本解析为数值",
        "Input should be a valid number, unable to parse string as a number",
    ),
    "schema_float_type": ("应为数值", "Input should be a valid number"),
    "schema_string_type": ("应为文本", "Input should be a valid string"),
    "schema_bool_type": ("应为布尔值（true 或 false）", "Input should be a valid boolean"),
    "schema_bool_parsing": (
        "应为布尔值（true 或 false），无法解析该文本",
        "Input should be a valid boolean, unable to interpret input",
    ),
    "schema_list_type": ("应为列表", "Input should be a valid list"),
    "schema_dict_type": ("应为表（键值对）", "Input should be a valid dictionary"),
    "schema_model_type": (
        "应为表（键值对）或 {class_name} 对象",
        "Input should be a valid dictionary or instance of {class_name}",
    ),
    "schema_greater_than_equal": ("应大于或等于 {ge}", "Input should be greater than or equal to {ge}"),
    "schema_greater_than": ("应大于 {gt}", "Input should be greater than {gt}"),
    "schema_less_than_equal": ("应小于或等于 {le}", "Input should be less than or equal to {le}"),
    "schema_less_than": ("应小于 {lt}", "Input should be less than {lt}"),
    "schema_string_pattern_mismatch": ("应符合格式 '{pattern}'", "String should match pattern '{pattern}'"),
}


# --- messages: input files: finding and reading them (docs/inputs.md) ---
LABELS |= {
    "magic_zip": ("zip 压缩包（是 .xlsx 工作簿吗？）", "a zip archive (an .xlsx workbook?)"),
    "magic_parquet": ("Parquet 文件", "a Parquet file"),
    "magic_xls": ("旧版 Excel .xls 文件", "a legacy Excel .xls file"),
    "magic_pdf": ("PDF 文档", "a PDF document"),
    "two_files": ("数据表 '{table}' 有两个文件：{names}", "two files for table '{table}': {names}"),
    "one_file_only": ("只能有一个", "exactly one"),
    "no_readable_file": (
        "数据表 '{table}' 没有可读取的文件：{files} 不是支持的格式",
        "no readable file for table '{table}': {files} is not a supported format",
    ),
    "missing_table": ("缺少必需的数据表 '{table}'", "missing required table '{table}'"),
    "one_of_files": ("以下之一：{choices}", "one of {choices}"),
    "cannot_read_file": ("无法读取该文件：{why}", "cannot read the file: {why}"),
    "empty_file": ("空文件（0 字节）", "empty file (0 bytes)"),
    "header_then_lines": ("一行表头，之后每行一条记录", "a header line, then one line per row"),
    "header_then_rows": ("一行表头，之后每行一条记录", "a header row, then one row per record"),
    "an_excel_workbook": ("Excel 工作簿", "an Excel workbook"),
    "cannot_read_as": ("无法按 {kind} 读取：{why}", "cannot read as {kind}: {why}"),
    "csv_expected": ("以逗号分隔的文本文件", "a text file with comma-separated values"),
    "not_csv_it_is": ("不是 CSV 文件：它是{what}", "not a CSV file: it is {what}"),
    "utf16": ("不支持 UTF-16 文本", "UTF-16 text is not supported"),
    "utf8_or_gbk": ("UTF-8 或 GB18030/GBK 文本", "UTF-8 or GB18030/GBK text"),
    "csv_nul": ("不是 CSV 文件：其中含有 NUL 字节", "not a CSV file: it contains NUL bytes"),
    "no_header_line": ("没有表头行", "no header line"),
    "bom_not_utf8": (
        "文件以 UTF-8 BOM 开头，但内容不是有效的 UTF-8",
        "not valid UTF-8, though the file starts with a UTF-8 BOM",
    ),
    "utf8_text": ("UTF-8 文本", "UTF-8 text"),
    "line_not_utf8": (
        "该行不是 UTF-8，而其他 {count} 行是（该行是否使用了其他编码，如 GBK？）",
        "not UTF-8, though {count} other lines are (a line in another encoding, such as GBK?)",
    ),
    "one_encoding": (
        "整个文件使用同一种编码：UTF-8 或 GB18030/GBK",
        "the whole file in one encoding, UTF-8 or GB18030/GBK",
    ),
    "neither_utf8_nor_gbk": ("文本既不是 UTF-8 也不是 GB18030/GBK", "text is neither UTF-8 nor GB18030/GBK"),
    "utf8_line_in_gbk": ("GB18030/GBK 文件中有一行 UTF-8 文本", "a UTF-8 line in a GB18030/GBK file"),
    "not_parquet_it_is": ("不是 Parquet 文件：它是{what}", "not a Parquet file: it is {what}"),
    "not_parquet": ("不是 Parquet 文件（没有 PAR1 标识字节）", "not a Parquet file (no PAR1 magic bytes)"),
    "workbook_encrypted": ("该工作簿设有密码保护（已加密）", "the workbook is password-protected (encrypted)"),
    "workbook_encrypted_expected": (
        "未设密码保存的工作簿（文件 > 信息 > 保护工作簿 > 用密码进行加密：清除密码）",
        "a workbook saved without a password (File > Info > Protect Workbook > Encrypt with Password: clear it)",
    ),
    "not_xlsx_it_is": ("不是 .xlsx 工作簿：它是{what}", "not an .xlsx workbook: it is {what}"),
    "not_xlsx": ("不是 .xlsx 工作簿（不是 zip 压缩包）", "not an .xlsx workbook (not a zip archive)"),
    "an_xlsx_workbook": ("Excel .xlsx 工作簿", "an Excel .xlsx workbook"),
    "first_sheet_empty": ("第一个工作表为空", "the first sheet is empty"),
    "no_header_rows": ("前 {count} 行中没有表头", "no header in the first {count} rows"),
}


# --- messages: cell values of the input tables (docs/inputs.md) ---
LABELS |= {
    "cannot_list_folder": ("无法列出该文件夹的内容：{why}", "cannot list the folder: {why}"),
    "more_fields": ("字段数多于表头的 {width} 个", "more fields than the header's {width}"),
    "more_fields_expected": (
        "每行 {width} 个字段（含逗号的单元格请加引号）",
        "{width} fields per line (quote cells that contain commas)",
    ),
    "cannot_follow": ("无法打开链接指向的文件：{why}", "cannot follow the file: {why}"),
    "outside_workspace": (
        "该文件在工作区之外（指向 {target}）；未读取",
        "the file is outside the workspace (it leads to {target}); it was not read",
    ),
    "a_file_inside": ("{root} 内的文件", "a file inside {root}"),
    "empty_cell": ("单元格为空", "empty cell"),
    "cell_failure": ("{what}：'{value}'", "{what}: '{value}'"),
    "expected_text": ("文本", "a text value"),
    "none_configured_paren": ("（未配置）", "(none configured)"),
    "expected_int": ("整数", "a whole number"),
    "expected_money": (
        "以元为单位的金额，{sign}，最多 2 位小数，如 1234.50，不带千位分隔符或货币符号",
        "an amount in yuan {sign} with at most 2 decimals, e.g. 1234.50, without separators or currency sign",
    ),
    "expected_points": ("0 到 100 的得分，最多 2 位小数", "a score from 0 to 100 with at most 2 decimals"),
    "expected_datetime": (
        "YYYY-MM-DD HH:MM[:SS]、YYYY/MM/DD HH:MM[:SS] 或 ISO 8601",
        "YYYY-MM-DD HH:MM[:SS], YYYY/MM/DD HH:MM[:SS] or ISO 8601",
    ),
    "expected_date": (
        "YYYY-MM-DD、YYYY/MM/DD 或 ISO 8601（时间为 00:00 的日期时间也可）",
        "YYYY-MM-DD, YYYY/MM/DD or ISO 8601 (a date-time at 00:00 is accepted)",
    ),
    "expected_bool": ("true/false、1/0、yes/no、y/n 或 是/否", "true/false, 1/0, yes/no, y/n or 是/否"),
    "type_cannot_hold": ("类型为 {dtype} 的列不能容纳{what}", "column of type {dtype} cannot hold {what}"),
    "holds_text": ("文本", "text"),
    "holds_bools": ("是/否值", "yes/no values"),
    "holds_ints": ("整数", "whole numbers"),
    "holds_amounts": ("金额", "amounts"),
    "holds_scores": ("得分", "scores"),
    "holds_datetimes": ("日期时间", "date-times"),
    "holds_dates": ("日期", "dates"),
    "unknown_value_of": ("未知的 {column}", "unknown {column}"),
    "not_bool": ("不是是/否值", "not a yes/no value"),
    "not_int": ("不是整数", "not a whole number"),
    "not_money": ("不是以元为单位、最多 2 位小数的金额", "not an amount in yuan with at most 2 decimals"),
    "not_points": ("不是最多 2 位小数的得分", "not a score with at most 2 decimals"),
    "negative_number": ("数值为负", "negative number"),
    "negative_amount": ("金额为负", "negative amount"),
    "negative_score": ("得分为负", "negative score"),
    "number_below_minimum": ("数值低于下限", "number below the minimum"),
    "amount_below_minimum": ("金额低于下限", "amount below the minimum"),
    "score_below_minimum": ("得分低于下限", "score below the minimum"),
    "number_not_positive": ("数值必须大于 0", "number must be greater than 0"),
    "amount_not_positive": ("金额必须大于 0", "amount must be greater than 0"),
    "score_not_positive": ("得分必须大于 0", "score must be greater than 0"),
    "number_above": ("数值大于 {top}", "number above {top}"),
    "amount_above": ("金额大于 {top}", "amount above {top}"),
    "score_above": ("得分大于 {top}", "score above {top}"),
    "not_datetime": ("不是日期时间", "not a date-time"),
    "not_date": ("不是日期", "not a date"),
    "datetime_not_date": ("是带有时刻的日期时间，而不是日期", "a date-time with a time of day, not a date"),
}


# --- messages: the columns of an input table (docs/inputs.md) ---
LABELS |= {
    "column_n": ("第 {n} 列", "column {n}"),
    "column_no_header": ("该列没有表头，已忽略", "column without a header, ignored"),
    "mapped_not_a_column": (
        "（映射到 '{target}'，但它不是 {table} 的列）",
        " (mapped to '{target}', which is not a column of {table})",
    ),
    "a_column_of": ("{table} 的列之一：{columns}", "a column of {table}: {columns}"),
    "unknown_column": ("未知的列，已忽略{hint}", "unknown column, ignored{hint}"),
    "and_sep": ("和", " and "),
    "header_at_column": ("'{header}'（第 {n} 列）", "'{header}' (column {n})"),
    "column_twice": ("该列出现了两次：{listed}", "column given twice: {listed}"),
    "one_column_for": ("{name} 只能有一列", "one column for {name}"),
    "a_column_named": ("名为 '{name}' 的列", "a column '{name}'"),
    "or_mapped": (
        "，或在 [columns.{table}] 中映射到它的列：{alternatives}",
        " or one mapped to it in [columns.{table}]: {alternatives}",
    ),
    "missing_column": ("缺少必需的列", "missing required column"),
}


# --- messages: rows that contradict each other (docs/inputs.md) ---
LABELS |= {
    "duplicate_key": (
        "{key} '{value}' 重复（首次出现在第 {first} 行）",
        "duplicate {key} '{value}' (first on line {first})",
    ),
    "a_unique": ("不重复的 {key}", "a unique {key}"),
    "unknown_partner": ("未知的合作伙伴 '{partner}'", "unknown partner '{partner}'"),
    "a_partner_id_of": ("{source} 中的 partner_id", "a partner_id of {source}"),
    "partner_without_row": (
        "合作伙伴 '{partner}' 在 {source} 中没有数据行",
        "partner '{partner}' has no row in {source}",
    ),
    "one_row_per_partner": ("{source} 中每个合作伙伴一行", "one row per partner in {source}"),
    "billed_users_expected": (
        "计费用户数（C 模式按每万计费用户计算）",
        "the number of billed users (C mode is measured per 10,000 billed users)",
    ),
    "group_customers_expected": ("已签约的集团客户数（EMP 模式）", "the number of signed group customers (EMP mode)"),
    "empty_for_mode": ("{mode} 模式的合作伙伴 '{partner}' 此项为空", "empty for {mode}-mode partner '{partner}'"),
    "is_before": ("{later} 早于 {since} {earlier}", "{later} is before {since} {earlier}"),
    "at_or_after": ("{column} 不早于 {since}", "{column} at or after {since}"),
    "unknown_ticket": ("未知的工单 '{ticket}'", "unknown ticket '{ticket}'"),
    "a_ticket_id_of": ("{source} 中的 ticket_id", "a ticket_id of {source}"),
    "before_received": (
        "{at} 早于该工单的受理时间（{received}）",
        "{at} is before the ticket was received ({received})",
    ),
    "pause_twice": (
        "工单 '{ticket}' 的暂停重复给出（首次出现在第 {first} 行）",
        "pause of ticket '{ticket}' given twice (first on line {first})",
    ),
    "pause_once": ("每次暂停只给出一次", "each pause once"),
    "pause_overlaps": (
        "工单 '{ticket}' 的暂停与第 {line} 行的暂停重叠",
        "pause of ticket '{ticket}' overlaps the pause on line {line}",
    ),
    "pauses_apart": (
        "同一工单的各次暂停互不重叠（一次暂停可以在下一次开始时结束）",
        "pauses of one ticket that do not overlap (one may end as the next starts)",
    ),
    "not_account_number": ("不是银行账号：'{value}'", "not a bank account number: '{value}'"),
    "account_number_expected": ("6 到 34 位字母或数字", "6 to 34 letters or digits"),
}


# --- messages: rows left out of the month (docs/inputs.md#warnings) ---
LABELS |= {
    "terminated_in": ("已于 {period} 中止合作", "terminated in {period}"),
    "of_excluded_partner": ("属于合作伙伴 '{partner}'（{why}），未纳入", "of partner '{partner}' ({why}), left out"),
    "row_of": ("该行{why}", "row {why}"),
    "noun_row": ("数据", "row"),
    "noun_rows": ("数据", "rows"),
    "noun_ticket": ("工单", "ticket"),
    "noun_tickets": ("工单", "tickets"),
    "noun_event": ("违规记录", "event"),
    "noun_events": ("违规记录", "events"),
    "noun_survey": ("回访", "survey"),
    "noun_surveys": ("回访", "surveys"),
    "noun_pause": ("暂停", "pause"),
    "noun_pauses": ("暂停", "pauses"),
    "received_outside": ("受理时间不在 {period} 内，未纳入", "received outside {period}, left out"),
    "occurred_outside": ("发生日期不在 {period} 内，未纳入", "outside {period}, left out"),
    "survey_of_c_mode": ("是 C 模式合作伙伴的回访，未纳入", "survey of a C-mode partner, left out"),
    "surveys_of_c_mode": ("属于 C 模式合作伙伴，未纳入", "of C-mode partners, left out"),
    "pause_of_excluded": (
        "所属工单的合作伙伴已不再考核，未纳入",
        "pause of a ticket of a partner no longer assessed, left out",
    ),
    "pauses_of_excluded": (
        "所属工单的合作伙伴已不再考核，未纳入",
        "of tickets of partners no longer assessed, left out",
    ),
}


# --- messages: the cap on errors shown (docs/inputs.md) ---
LABELS |= {
    "more_errors_one": (
        "…… 另有 {count} 个错误未显示（max_errors = {cap}）{by_file}",
        "... and {count} more error not shown (max_errors = {cap}){by_file}",
    ),
    "more_errors_other": (
        "…… 另有 {count} 个错误未显示（max_errors = {cap}）{by_file}",
        "... and {count} more errors not shown (max_errors = {cap}){by_file}",
    ),
}


# --- messages: Excel workbooks (docs/inputs.md) ---
LABELS |= {
    "no_workbook_xml": ("压缩包中没有 xl/workbook.xml", "the archive has no xl/workbook.xml"),
    "no_sheet": ("该工作簿没有工作表", "the workbook has no sheet"),
    "no_sheet_expected": ("含有一个工作表的工作簿", "a workbook with one sheet"),
    "hidden_sheet": (
        "隐藏的工作表：工作簿中有打开它的人看不到的数据",
        "hidden sheet: the workbook holds data a person opening it does not see",
    ),
    "very_hidden_sheet": (
        "深度隐藏的工作表：工作簿中有打开它的人看不到的数据",
        "very hidden sheet: the workbook holds data a person opening it does not see",
    ),
    "hidden_sheet_expected": (
        "只有可见的工作表（删除隐藏的工作表，或将数据表复制到新工作簿）",
        "only visible sheets (delete the hidden sheet, or copy the table into a new workbook)",
    ),
    "sheet_no_part": ("工作表 {sheet} 在工作簿中没有数据部分", "sheet {sheet} has no data part in the workbook"),
    "sheet_unpacks_to": ("该工作表及其字符串解压后为 {size} 字节", "the sheet and its strings unpack to {size} bytes"),
    "sheet_unpacks_expected": (
        "最多 {most}（{limit} 的每个单元格 {per_cell} 字节）",
        "at most {most} ({per_cell} bytes per cell of {limit})",
    ),
    "cannot_read_workbook": ("无法按 Excel 工作簿读取：{why}", "cannot read as an Excel workbook: {why}"),
    "sheet_declares": ("该工作表声明的范围为 {declared}", "the sheet declares {declared}"),
    "at_most_cells": ("最多 {most}（{limit}）", "at most {most} ({limit})"),
    "more_cells_one": ("…… 另有 {count} 个此类单元格未显示", "... and {count} more such cell not shown"),
    "more_cells_other": ("…… 另有 {count} 个此类单元格未显示", "... and {count} more such cells not shown"),
    "sheet_reaches": ("该工作表延伸到单元格 {cell}：{size}", "the sheet reaches cell {cell}: {size}"),
    "sheet_size": ("{rows} 行 × {cols} 列 = {cells} 个单元格", "{rows} rows × {cols} columns = {cells} cells"),
    "row_too_long": ("有一行超过 {size} 字节", "a row longer than {size} bytes"),
    "a_sheet_of_rows": ("按行组织的工作表", "a sheet of rows"),
    "error_cell": ("错误单元格 {value}", "error cell {value}"),
    "error_cell_expected": ("一个值（修正公式或直接输入数值）", "a value (fix the formula or type the value)"),
    "formula_uncalculated": (
        "公式{formula} 没有计算结果（该工作簿由程序生成，从未计算过）",
        "formula{formula} without a calculated value (the workbook was written by a program and never calculated)",
    ),
    "formula_uncalculated_expected": (
        "数值：请在 Excel 中打开并保存该工作簿，或粘贴为数值",
        "values: open the workbook in Excel and save it, or paste the values",
    ),
}


# --- messages: verify (docs/sign-off-and-audit.md) ---
LABELS |= {
    "finding_row": (" 行 {key}", " row {key}"),
    "event_what": ("事件 {id}（{command}，{at}，操作人 {by}）", "event {id} ({command}, {at}, by {by})"),
    "event_out_of_chain": (
        "{what}与其前一条事件衔接不上：有事件被删除或插入",
        "{what} does not follow the event before it: an event was removed or inserted",
    ),
    "event_changed": ("{what}在写入后被修改", "{what} was changed after it was written"),
    "log_truncated": (
        "日志止于事件 {last}，但已写入的事件编号到 {written}：最后的若干条被删除",
        "the log ends at event {last}, but events up to {written} were written: the last were removed",
    ),
    "closed_without_seal": (
        "该月已关账，但其最后一次运行之后没有带摘要的关账事件",
        "the month is closed but no close event with its digest follows its last run",
    ),
    "columns_removed": ("列 {columns} 已被删除", "columns {columns} were removed"),
    "table_gone": ("该数据表已不存在", "the table is gone"),
    "table_differs": (
        "与关账时的摘要不符（其逐行摘要也已丢失或被修改）",
        "differs from its digest at close (its row digests are gone or changed too)",
    ),
    "row_deleted": ("在该月关账后被删除", "was deleted after the month was closed"),
    "row_changed": ("在该月关账后被修改", "was changed after the month was closed"),
    "row_inserted": ("在该月关账后被插入", "was inserted after the month was closed"),
    "rows_reordered": ("数据行顺序改变或有重复", "rows are in another order or repeated"),
    "no_longer_closed": (
        "其关账事件仍在，但该月已不再是关账状态",
        "its close event stands but the month is no longer closed",
    ),
}


# --- messages: the portal's accounts and uploads, reports, periods ---
LABELS |= {
    "old_layout": (
        "该账本以 scorecard 0.1 的格式保存了 {count} 个月份，该格式不保留考核记录；账本未作改动",
        "this ledger holds {count} months in the layout of scorecard 0.1, which did not keep the assessment record;"
        " it was not changed",
    ),
    "old_layout_expected": (
        "继续使用 scorecard 0.1 处理它，或在新的工作区中开始一个新账本",
        "keep using scorecard 0.1 for it, or start a new ledger in a new workspace",
    ),
    "not_account_name": (
        "不是有效的账号名：{name}（1 到 64 个字符，不含空格）",
        "not an account name: {name} (1 to 64 characters, no spaces)",
    ),
    "account_exists": ("账号 {name} 已存在", "an account {name} exists already"),
    "never_assessed": (
        "{partner} 从未考核过：账本中没有任何月份包含它",
        "{partner} was never assessed: no month of the ledger has it",
    ),
    "no_account": ("没有账号 {name}", "no account {name}"),
    "account_disabled_already": ("{name} 已于之前停用（{at}）", "{name} was disabled already ({at})"),
    "password_too_short": ("新密码至少需要 {min} 个字符", "the new password needs at least {min} characters"),
    "password_same": ("新密码不能与旧密码相同", "the new password must differ from the old one"),
    "password_wrong": ("当前密码不正确", "the current password is not right"),
    "upload_too_large": ("文件大于 5 MB", "the file is larger than 5 MB"),
    "upload_empty": ("文件为空", "the file is empty"),
    "upload_kind": (
        "只能上传 PDF 或图片（PNG、JPEG、WebP）",
        "only a PDF or an image (PNG, JPEG, WebP) can be attached",
    ),
    "upload_bad_name": ("不是已保存的文件名", "not a stored file name"),
    "not_half_year": ("不是半年度", "not a half-year"),
    "half_year_expected": ("如 2026H1 或 2026H2", "e.g. 2026H1 or 2026H2"),
    "half_year_no_ledger": (
        "没有账本：请先运行并关账该半年的各月份",
        "no ledger: run and close the half's months first",
    ),
    "half_year_none_closed": ("{label} 中没有已关账的月份", "no closed month in {label}"),
    "half_year_none_closed_expected": (
        "至少关账其中一个月份（通报只读取已关账月份）",
        "close at least one of its months (the bulletin reads closed months only)",
    ),
    "no_ledger_run_first": ("没有账本：请先运行 {period}", "no ledger: run {period} first"),
    "not_a_period": (
        "不是考核期：{text}（应为 YYYY-MM，如 2026-03）",
        "not a period: {text} (expected YYYY-MM, e.g. 2026-03)",
    ),
}


# --- messages: status and simulate views ---
LABELS |= {
    "out_missing": ("缺失", "missing"),
    "out_foreign": ("不是由此账本生成的", "not rendered from this ledger"),
    "out_other_run": (
        "由第 {run} 次运行生成，而账本中为第 {ledger} 次运行",
        "rendered from run {run}, the ledger holds run {ledger}",
    ),
    "out_file_missing": ("{name} 缺失", "{name} is missing"),
    "out_file_changed": ("{name} 已被修改", "{name} was changed"),
    "only_in_simulation": ("仅在模拟规则下考核", "only in simulation"),
    "only_in_base": ("仅在现行规则下考核", "only in base"),
}


# --- messages: the portal's forms (docs/portal.md) ---
LABELS |= {
    "accept_or_reject_form": ("请选择受理或驳回", "accept or reject"),
}


# --- messages: a run's progress and its warnings ---
LABELS |= {
    "stage_column_missing": (
        "文件中没有该列：使用它的阶段本期不作考核",
        "column not in the file: the stages that use it are not measured this period",
    ),
    "progress_loading": ("正在读取并校验输入数据", "loading and validating inputs"),
    "progress_metrics": ("正在计算考核指标", "computing metrics"),
    "progress_rules": ("正在应用规则并结算", "applying rules and settling"),
    "progress_history": ("正在计算更正后的历史", "computing the corrected history"),
    "progress_writing": ("正在写入账本和输出文件", "writing the ledger and outputs"),
}


# --- messages: counts in summaries ---
LABELS |= {
    "n_months_one": ("{count} 个月", "{count} month"),
    "n_months_other": ("{count} 个月", "{count} months"),
    "n_valid_complaints_one": ("有效投诉 {count} 件", "{count} valid complaint"),
    "n_valid_complaints_other": ("有效投诉 {count} 件", "{count} valid complaints"),
    "n_partners_one": ("{count} 个合作伙伴", "{count} partner"),
    "n_partners_other": ("{count} 个合作伙伴", "{count} partners"),
    "n_warnings_one": ("{count} 条警告", "{count} warning"),
    "n_warnings_other": ("{count} 条警告", "{count} warnings"),
    "n_statements_written_one": (
        "{count} 份对账单已写入{mark}：{folder}",
        "{count} statement written to{mark}: {folder}",
    ),
    "n_statements_written_other": (
        "{count} 份对账单已写入{mark}：{folder}",
        "{count} statements written to{mark}: {folder}",
    ),
}


LANGUAGES = ("zh", "en")
_IN_USE: ContextVar[str] = ContextVar("scorecard_language", default="en")


def language() -> str:
    """The language messages are written in now."""
    return _IN_USE.get()


def use_language(lang: str) -> Token[str]:
    """Write messages in ``lang`` from now on (in this thread or task); the token undoes it."""
    return _IN_USE.set(lang if lang in LANGUAGES else "en")


def reset_language(token: Token[str]) -> None:
    _IN_USE.reset(token)


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    token = use_language(lang)
    try:
        yield
    finally:
        _IN_USE.reset(token)


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` (else the language in use), filled with ``values``.

    Without values the text is returned as written, so a caller may fill it later."""
    zh, en = LABELS.get(key, (key, key))
    text = zh if (lang or _IN_USE.get()) == "zh" else en
    return text.format(**values) if values else text


def tn(key: str, count: int, lang: str | None = None, /, **values: object) -> str:
    """A message about ``count`` things: ``key_one`` for exactly one, else ``key_other`` (English
    has a plural, Chinese words both alike). ``count`` is one of the values."""
    return t(f"{key}_one" if count == 1 else f"{key}_other", lang, count=count, **values)


def expr(key: str, /, **values: pl.Expr) -> pl.Expr:
    """A message per row: the text of ``key`` in the language in use, its named fields filled
    from polars expressions (the languages may order the fields differently)."""
    import string

    import polars as pl

    parts: list[pl.Expr] = []
    for literal, field, _spec, _conv in string.Formatter().parse(t(key)):
        if literal:
            parts.append(pl.lit(literal))
        if field is not None:
            parts.append(values[field].cast(pl.String))
    return pl.concat_str(parts) if parts else pl.lit("")
