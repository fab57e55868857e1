"""Reading pasted threads and help-desk exports (JSON of the common help desks, CSV)."""

import json

import pytest

from authoring.tickets import (
    TicketParseError,
    parse_export,
    parse_pasted_thread,
)

PASTED = """Subject: Internet drops every evening
--- Jane Doe (customer) 2026-11-02 10:14
My connection drops every evening since Monday.
--- Tom (agent) 2026-11-02 11:00
Hi Jane, please restart the router.
--- Tom (agent, private) 2026-11-02 11:05
Line test shows noise on the line.
--- Tom (agent, AI draft)
Hi Jane, our Turbo plan includes free line repair.
--- Jane Doe (customer) 2026-11-03 09:00
Restarted twice, still dropping!!
"""


def test_a_pasted_thread_keeps_roles_privacy_ai_drafts_and_times():
    ticket = parse_pasted_thread(PASTED)
    assert ticket.subject == "Internet drops every evening"
    assert ticket.customer_name == "Jane Doe"
    assert [(m.author, m.public, m.ai_draft) for m in ticket.messages] == [
        ("customer", True, False),
        ("agent", True, False),
        ("agent", False, False),
        ("agent", True, True),
        ("customer", True, False),
    ]
    assert ticket.messages[0].sent_at == "2026-11-02 10:14"
    assert ticket.messages[-1].body == "Restarted twice, still dropping!!"


def test_text_without_headers_is_one_customer_message():
    ticket = parse_pasted_thread("Why was I charged twice?\nPlease fix.")
    assert len(ticket.messages) == 1
    assert ticket.messages[0].author == "customer"


def test_an_empty_paste_is_refused_with_a_reason():
    with pytest.raises(TicketParseError, match="empty"):
        parse_pasted_thread("Subject: nothing\n\n")


def test_a_zendesk_style_json_export():
    export = {
        "tickets": [
            {
                "id": 9001,
                "subject": "Refund",
                "requester": {"id": 5, "name": "Jane Doe", "email": "jane@example.org"},
                "comments": [
                    {
                        "author_id": 5,
                        "public": True,
                        "created_at": "2026-11-02T10:00:00Z",
                        "html_body": "<p>Please refund me.</p><p>Thanks</p>",
                    },
                    {
                        "author_id": 7,
                        "public": False,
                        "created_at": "2026-11-02T10:30:00Z",
                        "plain_body": "Check the billing log.",
                    },
                    {
                        "author_id": 7,
                        "public": True,
                        "is_ai_draft": True,
                        "plain_body": "Refunds take 90 days.",
                    },
                ],
            }
        ]
    }
    (ticket,) = parse_export(name="export.json", content=json.dumps(export).encode())
    assert ticket.ticket_id == "9001" and ticket.customer_name == "Jane Doe"
    assert ticket.messages[0].author == "customer"
    assert ticket.messages[0].body == "Please refund me.\nThanks"
    assert (ticket.messages[1].author, ticket.messages[1].public) == ("agent", False)
    assert ticket.messages[2].ai_draft is True


def test_freshdesk_and_intercom_fields_are_read():
    export = [
        {"id": 1, "subject": "A", "conversations": [
            {"incoming": True, "private": False, "body_text": "From the customer"},
            {"incoming": False, "private": True, "body_text": "A note"}]},
        {"id": 2, "title": "B", "conversation_parts": {"conversation_parts": [
            {"part_type": "comment", "body": "<p>Hello</p>",
             "author": {"type": "user", "name": "Ann"}},
            {"part_type": "comment", "body": "Bot answer",
             "author": {"type": "bot", "is_ai_answer": True}}]}},
    ]  # fmt: skip
    first, second = parse_export(name="x.json", content=json.dumps(export).encode())
    assert [(m.author, m.public) for m in first.messages] == [("customer", True), ("agent", False)]
    assert second.subject == "B"
    assert [(m.author, m.name, m.ai_draft) for m in second.messages] == [
        ("customer", "Ann", False),
        ("agent", "", True),
    ]


def test_a_csv_export_groups_comments_by_ticket():
    content = (
        b"ticket_id,subject,author_role,author_name,public,created_at,body,is_ai_draft\n"
        b"T1,Slow,customer,Jane Doe,true,2026-11-02T10:00:00Z,It is slow,\n"
        b"T1,Slow,agent,Tom,false,2026-11-02T10:05:00Z,Noise on line,\n"
        b"T2,Bill,end-user,Ann Lee,true,2026-11-02T11:00:00Z,Bill is wrong,\n"
    )
    tickets = parse_export(name="tickets.csv", content=content)
    assert [t.ticket_id for t in tickets] == ["T1", "T2"]
    assert tickets[0].customer_name == "Jane Doe"
    assert tickets[0].messages[1].public is False
    assert tickets[1].messages[0].author == "customer"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.json", b"{not json", "not valid JSON"),
        ("x.json", b"[1, 2]", "list of tickets"),
        ("x.json", b'[{"id": 1, "comments": []}]', "no ticket"),
        ("x.csv", b"id,text\n1,hello\n", "columns ticket_id and body"),
        ("x.csv", b"\xff\xfe bad", "UTF-8"),
    ],
)
def test_bad_exports_are_refused_with_a_reason(name, content, message):
    with pytest.raises(TicketParseError, match=message):
        parse_export(name=name, content=content)
