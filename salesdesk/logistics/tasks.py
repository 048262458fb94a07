"""Logistics jobs. None run on a clock here: the daily waybill notice (每日发货物流单通知) is the
built-in report schedule ``waybill_daily``, sent by the reports' schedule job
(``salesdesk.reports.schedule_tasks``) with the rows and wording of ``logistics.notices`` — one
sender, so nothing is mailed twice."""
